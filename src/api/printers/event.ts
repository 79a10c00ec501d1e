// The core/v1 Event printer (`kubectl get events`). Events written through the newer
// events.k8s.io API carry eventTime/series instead of first/lastTimestamp/count; both forms
// print alike.
import type { Event } from 'kubernetes-types/core/v1.js';
import type { Printer } from '../registry-types.js';
import { timestampSince } from './duration.js';
import { column, nameOf, typed, wideColumn } from './common.js';

function firstSeen(ev: Event, now: Date): string {
  return ev.firstTimestamp ? timestampSince(ev.firstTimestamp, now) : timestampSince(ev.eventTime, now);
}

function lastSeen(ev: Event, now: Date): string {
  if (ev.series) return timestampSince(ev.series.lastObservedTime, now);
  return ev.lastTimestamp ? timestampSince(ev.lastTimestamp, now) : firstSeen(ev, now);
}

function count(ev: Event): number {
  if (ev.series) return ev.series.count ?? 0;
  // A singleton event from the new API has no count; it happened once.
  return ev.count || 1;
}

/** `daemonset/fluentd`: the lower-cased kind of the involved object, then its name. */
function objectCell(ev: Event): string {
  const kind = (ev.involvedObject?.kind ?? '').toLowerCase();
  const name = ev.involvedObject?.name;
  return name ? `${kind}/${name}` : kind;
}

/** `kubelet, node-1`: component and host, falling back to the reporting controller/instance. */
function sourceCell(ev: Event): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const instance = ev.source?.host || ev.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

export const eventPrinter: Printer = {
  columns: [
    column('Last Seen', 'string', 'Time since the event was last observed.'),
    column('Type', 'string', 'Normal or Warning.'),
    column('Reason', 'string', 'Short machine-readable reason for the event.'),
    column('Object', 'string', 'The object the event is about.'),
    wideColumn('Subobject', 'string', 'The part of the object the event is about, such as a container.'),
    wideColumn('Source', 'string', 'The component, and host, that reported the event.'),
    column('Message', 'string', 'Human-readable description of the event.'),
    wideColumn('First Seen', 'string', 'Time since the event was first observed.'),
    wideColumn('Count', 'string', 'How many times the event has occurred.'),
    { ...wideColumn('Name', 'string', 'Name of the event object.'), format: 'name' },
  ],
  cells(obj, now) {
    const ev = typed<Event>(obj);
    return [
      lastSeen(ev, now),
      ev.type ?? '',
      ev.reason ?? '',
      objectCell(ev),
      ev.involvedObject?.fieldPath ?? '',
      sourceCell(ev),
      (ev.message ?? '').trim(),
      firstSeen(ev, now),
      count(ev),
      nameOf(obj),
    ];
  },
};
