// The OPFS store (src/train/store.ts, built to /dist) in a real browser: the store contract,
// a worker reaching the same files through the ref, concurrent writes staying whole, and
// StorageUnavailableError where OPFS is missing. Results on window.__lbgap.
import { openStore, OpfsStore, StorageUnavailableError, StoreError } from '/dist/train/store.js';

const enc = (t) => new TextEncoder().encode(t);
const dec = (b) => (b === null ? null : new TextDecoder().decode(b));

async function main() {
  const out = { crossOriginIsolated: self.crossOriginIsolated };
  const root = `lbgap-test/${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const s = await openStore({ kind: 'opfs', root });
  out.ref = s.ref;
  out.missing = [await s.read('results.json'), await s.has('results.json')];
  await s.write('results.json', enc('{"a":1}\n'));
  await s.write('checkpoints/job0-SB.ckpt', enc('one'));
  await s.write('checkpoints/job0-SB.ckpt', enc('three!'));
  out.read = [dec(await s.read('results.json')), dec(await s.read('checkpoints/job0-SB.ckpt')), await s.has('checkpoints/job0-SB.ckpt')];
  // Ten concurrent writes of 1 MiB to one name: the file is always one of them, whole.
  const big = (v) => new Uint8Array(1 << 20).fill(v);
  await Promise.all(Array.from({ length: 10 }, (_, i) => s.write('checkpoints/big.bin', big(i + 1))));
  const b = await s.read('checkpoints/big.bin');
  out.bigWhole = b.length === 1 << 20 && b.every((x) => x === b[0]) && b[0] >= 1 && b[0] <= 10;
  // A worker opens the same store by its ref.
  await s.write('from-page.txt', enc('hello worker'));
  const w = new Worker('/test/browser/store-worker.js', { type: 'module' });
  out.worker = await new Promise((ok) => { w.onmessage = (e) => ok(e.data); w.onerror = (e) => ok({ error: e.message }); w.postMessage({ ref: s.ref }); });
  w.terminate();
  out.fromWorker = [...(await s.read('checkpoints/from-worker.bin'))];
  // A worker ended mid-write (the page's Stop without shared memory) leaves each file whole or absent.
  out.endedMidWrite = [];
  for (const ms of [3, 17, 40, 90]) {
    const h = new Worker('/test/browser/store-worker.js', { type: 'module' });
    await new Promise((ok) => { h.onmessage = ok; h.postMessage({ mode: 'hammer', ref: s.ref }); });
    await new Promise((ok) => setTimeout(ok, ms));
    h.terminate();
    await new Promise((ok) => setTimeout(ok, 50));
    let whole = 0, partial = 0;
    for (let i = 0; i < 1000; i++) {
      const b = await s.read(`checkpoints/new-${i}.bin`);
      if (b === null) break;
      if (b.length === 2 << 20 && b.every((x) => x === i % 251)) whole++; else partial++;
    }
    out.endedMidWrite.push({ whole, partial });
    await s.clear('checkpoints');
  }
  await s.clear('checkpoints');
  out.afterClear = [await s.has('checkpoints/job0-SB.ckpt'), await s.has('checkpoints/from-worker.bin'), await s.has('results.json')];
  try { await s.write('../escape', enc('x')); out.badName = 'no error'; } catch (e) { out.badName = e instanceof StoreError ? e.name : String(e); }
  // A reopened store (a reloaded page) finds the files again.
  const again = await openStore({ kind: 'opfs', root });
  out.reopened = dec(await again.read('results.json'));
  await OpfsStore.remove(root);
  out.removed = await (await openStore({ kind: 'opfs', root })).has('results.json');
  await OpfsStore.remove(root);
  // Without OPFS: a named error.
  const desc = Object.getOwnPropertyDescriptor(StorageManager.prototype, 'getDirectory');
  delete StorageManager.prototype.getDirectory;
  try { await openStore({ kind: 'opfs', root: 'x' }); out.unavailable = 'no error'; } catch (e) { out.unavailable = e instanceof StorageUnavailableError ? `${e.name}: ${e.message}` : String(e); }
  Object.defineProperty(StorageManager.prototype, 'getDirectory', desc);
  // A file store needs Node.
  try { await openStore({ kind: 'files', root: '/tmp' }); out.files = 'no error'; } catch (e) { out.files = e.name; }
  return out;
}

main().then((r) => { window.__lbgap = r; }, (e) => { window.__lbgap = { fatal: `${e.name}: ${e.message}\n${e.stack}` }; });
