// Printers for kinds with only a field or two worth showing: Namespace, PriorityClass, Lease,
// and the NAME/AGE fallback for every kind without a printer of its own.
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { Printer } from '../registry-types.js';
import { ageColumn, ageOf, column, nameColumn, nameOf, typed } from './common.js';

export const namespacePrinter: Printer = {
  columns: [nameColumn, column('Status', 'string', 'Active, or Terminating while its contents are deleted.'), ageColumn],
  cells(obj, now) {
    return [nameOf(obj), typed<Namespace>(obj).status?.phase ?? '', ageOf(obj, now)];
  },
};

// Upstream makes PREEMPTIONPOLICY a normal column: plain `kubectl get pc` shows it.
export const priorityClassPrinter: Printer = {
  columns: [
    nameColumn,
    column('Value', 'integer', 'Priority given to pods of this class.'),
    column('Global-Default', 'boolean', 'Whether pods without a class get this one.'),
    ageColumn,
    column('PreemptionPolicy', 'string', 'Whether pods of this class may preempt lower-priority pods.'),
  ],
  cells(obj, now) {
    const pc = typed<PriorityClass>(obj);
    return [nameOf(obj), pc.value ?? 0, pc.globalDefault ?? false, ageOf(obj, now), pc.preemptionPolicy ?? ''];
  },
};

export const leasePrinter: Printer = {
  columns: [nameColumn, column('Holder', 'string', 'Identity of the current holder of the lease.'), ageColumn],
  cells(obj, now) {
    return [nameOf(obj), typed<Lease>(obj).spec?.holderIdentity ?? '', ageOf(obj, now)];
  },
};

export const defaultPrinter: Printer = {
  columns: [nameColumn, ageColumn],
  cells(obj, now) {
    return [nameOf(obj), ageOf(obj, now)];
  },
};
