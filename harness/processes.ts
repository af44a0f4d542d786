import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

/** The compiled entry point of a program (`npm run build`): `gateway/index.ts` → `dist/gateway/index.js`. */
export const builtEntry = (entry: string) => path.join('dist', entry.replace(/\.ts$/, '.js'));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Waits until the process answers its health URL, failing at once if it exits first. */
async function waitForHealth(url: string, child: ChildProcess, name: string, logFile: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) during start-up; see ${logFile}`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not become healthy within ${timeoutMs} ms; see ${logFile}`);
}

/** One running copy of a program: replica 0 serves the port the others are told about. */
export interface Instance {
  name: string;
  replica: number;
  port: number;
  child: ChildProcess;
  exited: Promise<void>;
}

export interface ProcessGroupOptions {
  /** The working directory of every process. */
  cwd: string;
  /** Where each replica writes its log (`<name>-<replica>.log`). */
  logDir: string;
  /** Extra node flags for every process (a benchmark's `--cpu-prof`). */
  nodeArgs?: string[];
  /** The node flags a program runs with in production, by its name. */
  flagsOf?: (name: string) => string[];
  /**
   * Restart a process that dies, as a process supervisor would, with `restartEnv` over its
   * environment (e.g. without injected faults). `signal(..., 'SIGTERM')` stops one for good.
   */
  supervise?: { restartEnv: Record<string, string> };
}

/**
 * Programs run as processes of their own (`node --import tsx <entry>`, or `node dist/<entry>.js` once
 * built), each healthy once its `/health` answers, optionally supervised.
 */
export function processGroup({ cwd, logDir, nodeArgs = [], flagsOf = () => [], supervise }: ProcessGroupOptions) {
  const instances: Instance[] = [];
  const restarts: Record<string, number> = {};
  const pendingRestarts = new Set<Promise<void>>();
  const stoppedOnPurpose = new Set<ChildProcess>();
  let stopping = false;
  const alive = (i: Instance) => i.child.exitCode === null && i.child.signalCode === null;

  async function launch(name: string, replica: number, port: number, entry: string, env: Record<string, string>) {
    restarts[name] ??= 0;
    const logFile = path.join(logDir, `${name}-${replica}.log`);
    const out = createWriteStream(logFile, { flags: 'a' });
    // A built entry (`dist/…js`) runs as it is; TypeScript through tsx.
    const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
    const child = spawn(process.execPath, [...nodeArgs, ...flagsOf(name), ...loader, entry], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The stream stays open after the child's output ends, for the supervisor's note.
    child.stdout!.pipe(out, { end: false });
    child.stderr!.pipe(out, { end: false });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (supervise) {
      child.once('exit', () => {
        if (stopping || stoppedOnPurpose.has(child)) return;
        restarts[name] = (restarts[name] ?? 0) + 1;
        out.write(
          `\n--- supervisor: ${name}-${replica} died (${child.exitCode ?? child.signalCode}); restarting ---\n`,
        );
        // A restart that dies again during start-up is restarted again by its own exit handler.
        const restart = new Promise<void>((r) => setTimeout(r, 200))
          .then(() => launch(name, replica, port, entry, { ...env, ...supervise.restartEnv }))
          .catch(() => {})
          .finally(() => pendingRestarts.delete(restart));
        pendingRestarts.add(restart);
      });
    }
    const instance: Instance = { name, replica, port, child, exited };
    const slot = instances.findIndex((i) => i.name === name && i.replica === replica);
    if (slot >= 0) instances[slot] = instance;
    else instances.push(instance);
    // `restart` starts a replica with the environment it was first started with.
    if (!launchSpecs.has(`${name}-${replica}`)) launchSpecs.set(`${name}-${replica}`, { entry, env });
    await waitForHealth(`http://127.0.0.1:${port}/health`, child, `${name}-${replica}`, logFile);
  }
  const launchSpecs = new Map<string, { entry: string; env: Record<string, string> }>();

  return {
    launch,
    instances: (name?: string) =>
      instances.filter((i) => name === undefined || i.name === name).sort((a, b) => a.replica - b.replica),
    restarts,
    /** Sends a signal to every replica of a program (or one) and, for SIGKILL/SIGTERM, waits until it is gone. */
    async signal(name: string, signal: NodeJS.Signals, replica?: number) {
      const targets = instances.filter(
        (i) => i.name === name && (replica === undefined || i.replica === replica) && alive(i),
      );
      for (const i of targets) {
        if (signal === 'SIGTERM') {
          stoppedOnPurpose.add(i.child);
          i.child.kill('SIGCONT');
        }
        i.child.kill(signal);
      }
      if (signal === 'SIGKILL' || signal === 'SIGTERM') await Promise.all(targets.map((i) => i.exited));
    },
    /** Starts a stopped replica again on its port, optionally with more environment. */
    async restart(name: string, replica: number, env: Record<string, string> = {}) {
      const previous = instances.find((i) => i.name === name && i.replica === replica);
      const spec = launchSpecs.get(`${name}-${replica}`);
      if (!previous || !spec) throw new Error(`no ${name} replica ${replica}`);
      if (alive(previous)) throw new Error(`${name}-${replica} is still running`);
      await launch(name, replica, previous.port, spec.entry, { ...spec.env, ...env });
    },
    /** Resolves when every supervised restart so far is up again. */
    async settled() {
      while (pendingRestarts.size > 0) await Promise.all([...pendingRestarts]);
    },
    processes: () => instances.filter(alive).map((i) => ({ name: i.name, replica: i.replica, pid: i.child.pid! })),
    /** SIGTERM to every process (SIGKILL after 15 s), waiting until all are gone. */
    async stop() {
      stopping = true;
      await Promise.all([...pendingRestarts].map((p) => p.catch(() => {})));
      await Promise.all(
        instances.filter(alive).map(async (i) => {
          const timer = setTimeout(() => i.child.kill('SIGKILL'), 15_000);
          i.child.kill('SIGCONT');
          i.child.kill('SIGTERM');
          await i.exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}
