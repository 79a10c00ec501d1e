// Prometheus metrics on /metrics, named after the upstream API server's where one exists.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'apiserver_request_total',
    help: 'API requests by verb, group, resource, subresource and HTTP code.',
    labelNames: ['verb', 'group', 'resource', 'subresource', 'code'],
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: 'API request latency (watches excluded) by verb and resource.',
    labelNames: ['verb', 'group', 'resource'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly watchers = new Gauge({
    name: 'apiserver_registered_watchers',
    help: 'Open watches by group and resource.',
    labelNames: ['group', 'resource'],
    registers: [this.registry],
  });

  constructor(countObjects: () => Map<string, number>) {
    new Gauge({
      name: 'apiserver_storage_objects',
      help: 'Stored objects per resource.',
      labelNames: ['resource'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [resource, n] of countObjects()) this.set({ resource }, n);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }
}
