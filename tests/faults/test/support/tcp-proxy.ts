import net from 'node:net';

/**
 * A TCP proxy on a loopback port in front of PostgreSQL, which the suite cuts (closing the
 * listener and destroying every piped socket: connections are refused) and restores on the same
 * port, without touching the shared server.
 */
export class TcpProxy {
  readonly #sockets = new Set<net.Socket>();
  readonly #target: { host: string; port: number };
  #server: net.Server | undefined;
  #port = 0;

  constructor(target = { host: '127.0.0.1', port: 5432 }) {
    this.#target = target;
  }

  get port(): number {
    return this.#port;
  }

  /** True while it accepts connections. */
  get isUp(): boolean {
    return this.#server !== undefined;
  }

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.#target.port, this.#target.host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
