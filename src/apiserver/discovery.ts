// Legacy discovery (/api, /apis, /api/v1, /apis/<group>/<version>): what kubectl uses to map
// `ds` to daemonsets.apps/v1 and what `kubectl api-resources` prints. Aggregated discovery is
// not offered; every kubectl version falls back to these documents (kubectl-wire.md §1.1).
import { apiVersionOf, type Registry } from '../api/registry.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Subresources and what they answer to; `kind` overrides the parent kind. */
const SUBRESOURCES: Record<string, { verbs: string[]; kind?: string; group?: string; version?: string }> = {
  status: { verbs: ['get', 'patch', 'update'] },
  binding: { verbs: ['create'], kind: 'Binding' },
  eviction: { verbs: ['create'], kind: 'Eviction', group: 'policy', version: 'v1' },
  log: { verbs: ['get'] },
};

export function coreVersions(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupEntry(name: string, versions: string[]): object {
  const list = versions.map((v) => ({ groupVersion: apiVersionOf(name, v), version: v }));
  return { name, versions: list, preferredVersion: list[0] };
}

export function groupList(registry: Registry): object {
  const groups = [...registry.groupVersions()].filter(([g]) => g !== '').map(([g, versions]) => groupEntry(g, versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function group(registry: Registry, name: string): object | undefined {
  const versions = registry.groupVersions().get(name);
  return versions && name ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(name, versions) } : undefined;
}

export function resourceList(registry: Registry, groupName: string, version: string): object | undefined {
  const served = registry.inGroupVersion(groupName, version);
  if (!served.length) return undefined;
  const resources: object[] = [];
  for (const { def } of served) {
    resources.push({
      name: def.plural,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: ALL_VERBS,
      ...(def.shortNames.length ? { shortNames: def.shortNames } : {}),
      ...(def.categories.length ? { categories: def.categories } : {}),
    });
    for (const sub of def.subresources) {
      const s = SUBRESOURCES[sub]!;
      resources.push({
        name: `${def.plural}/${sub}`,
        singularName: '',
        namespaced: def.namespaced,
        ...(s.group !== undefined ? { group: s.group, version: s.version } : {}),
        kind: s.kind ?? def.kind,
        verbs: s.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(groupName, version), resources };
}
