// Kernels never allocate and run with noAssert; an abort can only come from the
// standard library. Report it through the host instead of a managed string.
@external("env", "kernel_abort_host")
declare function kernel_abort_host(line: u32, column: u32): void;

export function kernel_abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  kernel_abort_host(line, column);
  unreachable();
}
