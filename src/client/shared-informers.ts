// One informer per resource, shared by every controller in the process.
import { Informer } from './informer.js';
import type { Client, Resource } from './client.js';

export class SharedInformers {
  private readonly informers = new Map<string, Informer>();

  constructor(private readonly client: Client) {}

  for(r: Resource): Informer {
    const key = `${r.group}/${r.resource}`;
    let inf = this.informers.get(key);
    if (!inf) this.informers.set(key, (inf = new Informer(this.client, r)));
    return inf;
  }

  /** Lists every requested resource; resolves when all caches are filled. */
  async start(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.start()));
  }

  stop(): void {
    for (const i of this.informers.values()) i.stop();
  }
}
