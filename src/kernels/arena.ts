// The TS-side allocator over Wasm linear memory. Kernels never allocate: every buffer
// (tensors, parameters, GEMM packing scratch) is an offset handed out here.
// First-fit free list, sorted by address, coalescing on free; 64-byte alignment so
// rows start on cache lines and v128 loads are aligned.
import { OutOfMemoryError, KernelRangeError } from './errors.js';

const ALIGN = 64;
const PAGE = 65536;
const MAX_PAGES = 65536; // wasm32: 4 GiB

interface Block { ptr: number; size: number }

export class Arena {
  private free: Block[] = [];
  private used = new Map<number, number>();
  private top: number;
  /** Bumped every time the memory grows; views made before are detached. */
  generation = 0;

  /**
   * Allocates from [base, limit) of `memory`. A limit restricts this arena to a byte range,
   * e.g. one worker's share of a shared memory that several arenas carve up (default: the
   * whole 4 GiB address space).
   */
  constructor(readonly memory: WebAssembly.Memory, readonly base: number, readonly limit = MAX_PAGES * PAGE) {
    if (!Number.isInteger(base) || base < 0) throw new KernelRangeError('base', `must be a non-negative integer, got ${base}`);
    if (!Number.isInteger(limit) || limit <= base || limit > MAX_PAGES * PAGE) {
      throw new KernelRangeError('limit', `must be an integer in (${base}, ${MAX_PAGES * PAGE}], got ${limit}`);
    }
    this.top = alignUp(base);
  }

  get bytesInUse(): number {
    let s = 0;
    for (const v of this.used.values()) s += v;
    return s;
  }

  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new KernelRangeError('bytes', `must be a non-negative integer, got ${bytes}`);
    const size = Math.max(ALIGN, alignUp(bytes));
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.size >= size) {
        const ptr = b.ptr;
        if (b.size === size) this.free.splice(i, 1);
        else { b.ptr += size; b.size -= size; }
        this.used.set(ptr, size);
        return ptr;
      }
    }
    const ptr = this.top;
    this.ensure(ptr + size);
    this.top = ptr + size;
    this.used.set(ptr, size);
    return ptr;
  }

  /** Returns a block to the free list. Unknown pointers are an error, not a no-op. */
  release(ptr: number): void {
    const size = this.used.get(ptr);
    if (size === undefined) throw new KernelRangeError('ptr', `${ptr} is not a live allocation of this arena (double free?)`);
    this.used.delete(ptr);
    if (ptr + size === this.top) {
      this.top = ptr;
      // Let the tail free block merge into the top too.
      const last = this.free[this.free.length - 1];
      if (last && last.ptr + last.size === this.top) { this.top = last.ptr; this.free.pop(); }
      return;
    }
    let i = 0;
    while (i < this.free.length && this.free[i].ptr < ptr) i++;
    this.free.splice(i, 0, { ptr, size });
    const next = this.free[i + 1];
    if (next && ptr + size === next.ptr) { this.free[i].size += next.size; this.free.splice(i + 1, 1); }
    const prev = this.free[i - 1];
    if (prev && prev.ptr + prev.size === ptr) { prev.size += this.free[i].size; this.free.splice(i, 1); }
  }

  sizeOf(ptr: number): number | undefined {
    return this.used.get(ptr);
  }

  /** Frees everything. Memory stays grown (Wasm memory cannot shrink). */
  reset(): void {
    this.free = [];
    this.used.clear();
    this.top = alignUp(this.base);
  }

  private ensure(end: number): void {
    if (end > this.limit) {
      throw new OutOfMemoryError(end - this.top, this.memory.buffer.byteLength, `this arena is restricted to bytes [${this.base}, ${this.limit})`);
    }
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    const cur = have / PAGE;
    if (cur + pages > MAX_PAGES) throw new OutOfMemoryError(end - this.top, have);
    try {
      this.memory.grow(pages);
    } catch {
      throw new OutOfMemoryError(end - this.top, have);
    }
    this.generation++;
  }
}

export function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
