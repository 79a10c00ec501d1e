// Printers for the apps group: DaemonSet and ControllerRevision.
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Printer } from '../registry-types.js';
import { formatLabels, formatLabelSelector } from '../../placement/labels.js';
import { ageColumn, ageOf, column, containerCells, nameColumn, nameOf, typed, wideColumn } from './common.js';

/** The SELECTOR column; a selector that cannot be converted prints `<error>`, as upstream. */
function selectorCell(sel: LabelSelector | undefined): string {
  try {
    return formatLabelSelector(sel);
  } catch {
    return '<error>';
  }
}

export const daemonSetPrinter: Printer = {
  columns: [
    nameColumn,
    column('Desired', 'integer', 'Number of nodes that should be running the daemon pod.'),
    column('Current', 'integer', 'Number of nodes running at least one daemon pod that should run it.'),
    column('Ready', 'integer', 'Number of nodes whose daemon pod is ready.'),
    column('Up-to-date', 'integer', 'Number of nodes running the current pod template.'),
    column('Available', 'integer', 'Number of nodes whose daemon pod has been ready for minReadySeconds.'),
    column('Node Selector', 'string', 'Node labels a node must have to run the daemon pod.'),
    ageColumn,
    wideColumn('Containers', 'string', 'Names of the containers in the pod template.'),
    wideColumn('Images', 'string', 'Images of the containers in the pod template.'),
    wideColumn('Selector', 'string', 'Label query selecting the pods this daemon set manages.'),
  ],
  cells(obj, now) {
    const ds = typed<DaemonSet>(obj);
    const status = ds.status;
    const [names, images] = containerCells(ds.spec?.template?.spec?.containers);
    return [
      nameOf(obj),
      status?.desiredNumberScheduled ?? 0,
      status?.currentNumberScheduled ?? 0,
      status?.numberReady ?? 0,
      status?.updatedNumberScheduled ?? 0,
      status?.numberAvailable ?? 0,
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      ageOf(obj, now),
      names,
      images,
      selectorCell(ds.spec?.selector),
    ];
  },
};

/** `daemonset.apps/fluentd`: the lower-cased Kind.group of the controlling owner, then its name. */
function controllerCell(rev: ControllerRevision): string {
  const ref = rev.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (!ref) return '<none>';
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  const groupKind = group ? `${ref.kind}.${group}` : ref.kind;
  return groupKind ? `${groupKind.toLowerCase()}/${ref.name}` : ref.name;
}

export const controllerRevisionPrinter: Printer = {
  columns: [
    nameColumn,
    column('Controller', 'string', 'The object that controls this revision.'),
    column('Revision', 'string', 'Revision number of the stored state.'),
    ageColumn,
  ],
  cells(obj, now) {
    const rev = typed<ControllerRevision>(obj);
    return [nameOf(obj), controllerCell(rev), rev.revision ?? 0, ageOf(obj, now)];
  },
};
