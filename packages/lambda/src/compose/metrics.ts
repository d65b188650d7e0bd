import { AsyncLocalStorage } from 'node:async_hooks';
import { isUnavailable, type NotifyReport } from '@presence/core';
import type { GatewayReport, MetricValues } from '../aws/index.js';
import type { InvocationEvent } from '../edge/index.js';
import { PRESENCE_METRICS as M, type PresenceMetricName } from '../metric-names.js';

/**
 * Latency samples kept per metric and invocation: a reservoir sample, so that a sweep's thousands
 * of calls stay within one EMF line (a metric holds at most 100 values).
 */
const MAX_SAMPLES = 99;

/** What one invocation measured, until it ends and the sink publishes it. */
export class InvocationRecorder implements MetricValues {
  readonly counts = new Map<string, number>();
  readonly latencies = new Map<string, number[]>();
  readonly #seen = new Map<string, number>();

  /** Adds `n` to a count. */
  count(name: PresenceMetricName, n = 1): void {
    if (n === 0 && this.counts.has(name)) return;
    this.counts.set(name, (this.counts.get(name) ?? 0) + n);
  }

  /** Adds a latency sample (kept with probability MAX_SAMPLES / samples seen). */
  latency(name: PresenceMetricName, ms: number): void {
    const seen = (this.#seen.get(name) ?? 0) + 1;
    this.#seen.set(name, seen);
    const samples = this.latencies.get(name) ?? [];
    this.latencies.set(name, samples);
    if (samples.length < MAX_SAMPLES) samples.push(ms);
    else {
      const slot = Math.floor(Math.random() * seen);
      if (slot < MAX_SAMPLES) samples[slot] = ms;
    }
  }
}

const scope = new AsyncLocalStorage<InvocationRecorder>();

/** Runs `body` with a fresh recorder as the current invocation's. */
export function withRecorder<T>(recorder: InvocationRecorder, body: () => Promise<T>): Promise<T> {
  return scope.run(recorder, body);
}

/** The current invocation's recorder; `undefined` outside an invocation (nothing is counted). */
export function currentRecorder(): InvocationRecorder | undefined {
  return scope.getStore();
}

// The one place that maps what happened to metrics. A new result is a new line here and a name in
// metric-names.ts.

/** An invocation's outcome, a sweep report, or a connect, frame or disconnect result. */
export function recordEvent(recorder: InvocationRecorder, event: InvocationEvent): void {
  if (event.kind === 'outcome') {
    if (event.status >= 500) recorder.count(M.serverErrors);
    if (event.code === 'unauthorized') recorder.count(M.tokensRefused);
    if (event.code === 'identity_unavailable') recorder.count(M.identityErrors);
    return;
  }
  if (event.kind === 'connect') {
    recordWrite(recorder, event.result);
    return;
  }
  if (event.kind === 'frame') {
    const { outcome } = event;
    recorder.count(
      M.framesRateLimited,
      outcome.action === 'rejected' && outcome.reply.code === 'rate_limited' ? 1 : 0,
    );
    if (outcome.action !== 'rejected') recordWrite(recorder, outcome.result);
    return;
  }
  if (event.kind === 'disconnect') {
    recorder.count(M.announcementsDeferred, event.result.deferred ? 1 : 0);
    recorder.count(M.activityFailures, event.result.activityFailures);
    return;
  }
  const report = event.report;
  recorder.count(M.sweepExpired, report.expired);
  recorder.count(M.sweepOffline, report.offline);
  recorder.count(M.sweepAnnounced, report.notified);
  recorder.count(M.sweepIncomplete, report.done ? 0 : 1);
  recorder.count(M.announcementsDeferred, report.deferred);
  recorder.count(M.outboxDrained, report.drained);
  recorder.count(M.sweepHold, report.hold === undefined ? 0 : 1);
  recorder.count(M.lostPartitions, report.lostPartitions);
  recorder.count(M.reconciledFrames, report.reconciled);
  recorder.count(M.massTimeout, report.massTimeout ? 1 : 0);
  recorder.count(M.activityFailures, report.activityFailures);
}

/** A write's evictions (the cap) and failed activity appends. */
function recordWrite(
  recorder: InvocationRecorder,
  result: { readonly evicted?: number; readonly activityFailures: number },
): void {
  recorder.count(M.connectionsEvicted, result.evicted ?? 0);
  recorder.count(M.activityFailures, result.activityFailures);
}

/** One notifier call: frames (send) or sockets (close), by outcome. */
export function recordGateway(
  recorder: InvocationRecorder,
  call: 'send' | 'close',
  report: NotifyReport | GatewayReport,
): void {
  if (call === 'send') {
    recorder.count(M.framesSent, report.delivered.length);
    recorder.count(M.framesGone, report.gone.length);
    recorder.count(M.framesFailed, report.failed.length);
  } else {
    recorder.count(M.socketsClosed, report.delivered.length + report.gone.length);
    recorder.count(M.socketCloseFailures, report.failed.length);
  }
  if ('throttled' in report) {
    recorder.count(M.gatewayThrottles, report.throttled.length);
    recorder.count(M.gatewayUnreachable, report.unreachable.length);
  }
}

/** A notifier call that threw (the gateway unreachable for every request of it). */
export function recordGatewayOutage(
  recorder: InvocationRecorder,
  call: 'send' | 'close',
  requests: number,
): void {
  recorder.count(call === 'send' ? M.framesFailed : M.socketCloseFailures, requests);
  recorder.count(M.gatewayUnreachable, requests);
}

/** One store or graph call: its latency, and an error when it failed for want of the backend. */
export function recordPortCall(
  recorder: InvocationRecorder,
  port: 'store' | 'graph',
  ms: number,
  error?: unknown,
): void {
  recorder.latency(port === 'store' ? M.storeLatency : M.graphLatency, ms);
  if (error !== undefined && isUnavailable(error)) {
    recorder.count(port === 'store' ? M.storeErrors : M.graphErrors);
  }
}

/** Credentials read again after an authentication failure. */
export function recordCredentialRefresh(recorder: InvocationRecorder | undefined): void {
  recorder?.count(M.credentialRefreshes);
}
