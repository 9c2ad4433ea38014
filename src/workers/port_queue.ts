// Messages from a MessagePort, awaited one at a time, in arrival order.
export class PortQueue<T> {
  private items: T[] = [];
  private waiting: ((v: T) => void) | null = null;

  constructor(readonly port: MessagePort) {
    port.onmessage = (ev: MessageEvent) => {
      const w = this.waiting;
      if (w) { this.waiting = null; w(ev.data as T); } else this.items.push(ev.data as T);
    };
  }

  next(): Promise<T> {
    if (this.items.length) return Promise.resolve(this.items.shift() as T);
    return new Promise((ok) => { this.waiting = ok; });
  }

  close(): void {
    this.port.onmessage = null;
    this.port.close();
  }
}
