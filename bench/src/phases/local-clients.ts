/**
 * The WebSocket clients of the local-runtime phase, run in a child process so that they neither
 * share the server's event loop nor its RSS. The bench builds one bundle, so this function is
 * shipped as source (`node -e`): it must not use anything from outside its body; `ws` is loaded
 * from the path the parent resolved.
 *
 * Protocol over IPC: parent → `{ type: 'config', ... }`, then `{ type: 'start' }`, then
 * `{ type: 'drain', deadlineMs }`; child → `connected`, `progress` (every second), `sent-all`,
 * then `result`.
 */
export function clientProcess(): void {
  type Config = {
    wsUrl: string;
    wsPath: string;
    tokens: string[];
    userIds: string[];
    onlineFriends: number[];
    wsMs: number;
    updateEveryMs: number;
  };
  type Socket = {
    on(event: 'message', listener: (data: unknown) => void): void;
    once(event: string, listener: (error?: unknown) => void): void;
    send(text: string): void;
    terminate(): void;
  };
  const send = (message: object) => process.send?.(message);
  let config: Config | undefined;
  const sockets: Socket[] = [];
  const latencies: number[] = [];
  let sent = 0;
  let expected = 0;
  let received = 0;
  const percentile = (sorted: number[], p: number) =>
    sorted.length === 0
      ? Number.NaN
      : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);

  const connect = async (c: Config) => {
    const WebSocket = (globalThis as unknown as { require(path: string): unknown }).require(
      c.wsPath,
    ) as new (
      url: string,
    ) => Socket;
    let next = 0;
    const one = async () => {
      while (next < c.tokens.length) {
        const u = next;
        next += 1;
        const ws = new WebSocket(
          `${c.wsUrl}?Authorization=${encodeURIComponent(c.tokens[u] as string)}`,
        );
        const me = c.userIds[u];
        ws.on('message', (data) => {
          const frame = JSON.parse(String(data)) as {
            type?: string;
            title?: string;
            userId?: string;
          };
          if (frame.type !== 'update-presence' || !frame.title?.startsWith('bench ')) return;
          received += 1;
          if (frame.userId !== me) latencies.push(Date.now() - Number(frame.title.split(' ')[2]));
        });
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
        sockets[u] = ws;
      }
    };
    await Promise.all(Array.from({ length: 32 }, one));
    send({ type: 'connected' });
  };

  let cpuAtStart = process.cpuUsage();
  let wallAtStart = Date.now();
  const run = (c: Config) => {
    const started = Date.now();
    cpuAtStart = process.cpuUsage();
    wallAtStart = started;
    const timers: NodeJS.Timeout[] = [];
    sockets.forEach((ws, u) => {
      const tick = () => {
        if (Date.now() - started >= c.wsMs) return;
        sent += 1;
        expected += (c.onlineFriends[u] as number) + 1;
        ws.send(
          JSON.stringify({
            action: 'update-presence',
            url: `https://example.com/p/${u}`,
            title: `bench ${u} ${Date.now()}`,
          }),
        );
        timers.push(setTimeout(tick, c.updateEveryMs * (0.5 + Math.random())));
      };
      timers.push(setTimeout(tick, Math.random() * c.updateEveryMs));
    });
    const progress = setInterval(
      () => send({ type: 'progress', sent, received, rss: process.memoryUsage().rss }),
      1000,
    );
    setTimeout(() => {
      for (const t of timers) clearTimeout(t);
      clearInterval(progress);
      send({ type: 'sent-all', sent, expected, received });
    }, c.wsMs);
  };

  const drain = (deadlineMs: number) => {
    const check = () => {
      if (received >= expected || Date.now() >= deadlineMs) {
        latencies.sort((a, b) => a - b);
        const cpu = process.cpuUsage(cpuAtStart);
        send({
          cpuCores: (cpu.user + cpu.system) / 1000 / Math.max(1, Date.now() - wallAtStart),
          type: 'result',
          sent,
          expected,
          received,
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
          rss: process.memoryUsage().rss,
        });
        for (const ws of sockets) ws?.terminate();
        setTimeout(() => process.exit(0), 100);
        return;
      }
      setTimeout(check, 50);
    };
    check();
  };

  process.on('message', (message: { type: string; deadlineMs?: number } & Partial<Config>) => {
    if (message.type === 'config') {
      config = message as unknown as Config;
      void connect(config).catch((error: unknown) => {
        send({ type: 'error', message: String(error) });
      });
    } else if (message.type === 'start' && config !== undefined) run(config);
    else if (message.type === 'drain') drain(message.deadlineMs ?? Date.now());
  });
  process.on('disconnect', () => process.exit(0));
}
