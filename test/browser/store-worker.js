// A dedicated module worker that opens the page's OPFS store by its ref (as a job worker does),
// reads what the page wrote and writes a reply.
import { openStore } from '/dist/train/store.js';

self.onmessage = async (e) => {
  if (e.data.mode === 'hammer') {
    // Writes new files of 2 MiB, each filled with its index, until the page ends this worker.
    const s = await openStore(e.data.ref);
    self.postMessage({ ready: true });
    for (let i = 0; i < 1000; i++) await s.write(`checkpoints/new-${i}.bin`, new Uint8Array(2 << 20).fill(i % 251));
    return;
  }
  try {
    const s = await openStore(e.data.ref);
    const got = new TextDecoder().decode(await s.read('from-page.txt'));
    await s.write('checkpoints/from-worker.bin', new Uint8Array([1, 2, 3, 250]));
    self.postMessage({ got, where: s.where('x') });
  } catch (err) {
    self.postMessage({ error: `${err.name}: ${err.message}` });
  }
};
