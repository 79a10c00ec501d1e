// The set of kinds the server serves, looked up by group/version/resource or by kind.
import type { ResourceDef, ServedVersion } from './registry-types.js';

export interface Served {
  def: ResourceDef;
  version: ServedVersion;
}

export class Registry {
  private readonly byGvr = new Map<string, Served>();
  private readonly byGk = new Map<string, ResourceDef>();

  constructor(readonly defs: ResourceDef[]) {
    for (const def of defs) {
      for (const version of [{ version: def.version }, ...(def.aliases ?? [])]) {
        this.byGvr.set(`${def.group}/${version.version}/${def.plural}`, { def, version });
      }
      this.byGk.set(`${def.group}/${def.kind}`, def);
    }
  }

  lookup(group: string, version: string, resource: string): Served | undefined {
    return this.byGvr.get(`${group}/${version}/${resource}`);
  }

  byKind(group: string, kind: string): ResourceDef | undefined {
    return this.byGk.get(`${group}/${kind}`);
  }

  isNamespaced(group: string, resource: string): boolean {
    return this.defs.some((d) => d.group === group && d.plural === resource && d.namespaced);
  }

  /** Group → served versions, preferred (the stored one) first. */
  groupVersions(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const def of this.defs) {
      const versions = out.get(def.group) ?? [];
      if (!versions.includes(def.version)) versions.unshift(def.version);
      for (const a of def.aliases ?? []) if (!versions.includes(a.version)) versions.push(a.version);
      out.set(def.group, versions);
    }
    return out;
  }

  /** Everything served under one group/version, with that version's view of each kind. */
  inGroupVersion(group: string, version: string): Served[] {
    return this.defs.flatMap((def) => {
      if (def.group !== group) return [];
      if (def.version === version) return [{ def, version: { version } }];
      const alias = def.aliases?.find((a) => a.version === version);
      return alias ? [{ def, version: alias }] : [];
    });
  }
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}
