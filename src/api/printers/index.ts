// Server-side Table printers, one per kind, with the columns upstream's apiserver serves.
export { daemonSetPrinter, controllerRevisionPrinter } from './apps.js';
export { podPrinter } from './pod.js';
export { nodePrinter } from './node.js';
export { eventPrinter } from './event.js';
export { namespacePrinter, priorityClassPrinter, leasePrinter, defaultPrinter } from './simple.js';
export { toTable } from './table.js';
export type { Table, TableOptions } from './table.js';
