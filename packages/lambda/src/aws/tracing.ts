/** X-Ray tracing of one function: an invocation subsegment, and one subsegment per port call. */
export interface Tracing {
  /** Runs an invocation inside a `## <op>` subsegment annotated with the cold start and the service. */
  invocation<T>(op: string, run: () => Promise<T>): Promise<T>;
  /** Runs one port call inside a subsegment named `name` (`store.touch`, `graph.friendsOf`...). */
  span<T>(name: string, run: () => Promise<T>): Promise<T>;
}

/** Tracing off: runs everything as it is. */
export const NO_TRACING: Tracing = Object.freeze({
  invocation: <T>(_op: string, run: () => Promise<T>) => run(),
  span: <T>(_name: string, run: () => Promise<T>) => run(),
});

/**
 * Powertools Tracer (X-Ray), loaded on demand so that a function without tracing neither loads
 * nor initialises the X-Ray SDK (it is a chunk of its own in the bundle). HTTPS requests (the AWS
 * SDK clients, the signed `@connections` transport, the JWKS fetch) become subsegments on their
 * own; the ports are wrapped by the composition root. Outside Lambda the tracer is inert.
 */
export async function loadTracing(serviceName: string): Promise<Tracing> {
  const { Tracer } = await import('@aws-lambda-powertools/tracer');
  const tracer = new Tracer({ serviceName, captureHTTPsRequests: true });
  if (!tracer.isTracingEnabled()) return NO_TRACING;
  const span = async <T>(name: string, run: () => Promise<T>, current = false): Promise<T> => {
    const parent = tracer.getSegment();
    if (parent === undefined) return run();
    const subsegment = parent.addNewSubsegment(name);
    if (current) tracer.setSegment(subsegment);
    try {
      return await run();
    } catch (error) {
      if (error instanceof Error) subsegment.addError(error);
      throw error;
    } finally {
      subsegment.close();
      if (current) tracer.setSegment(parent);
    }
  };
  return {
    invocation: (op, run) =>
      span(
        `## ${op}`,
        () => {
          // Annotations go on the subsegment: Lambda's own segment is a facade that takes none.
          tracer.annotateColdStart();
          tracer.addServiceNameAnnotation();
          tracer.putAnnotation('operation', op);
          return run();
        },
        true,
      ),
    span: (name, run) => span(name, run),
  };
}
