// Container image references as a container runtime resolves them: `nginx` is
// `docker.io/library/nginx:latest`, a first path component with a dot, a colon or `localhost` is
// a registry host, and a reference without tag or digest gets `:latest`.

export interface ImageRef {
  /** The fully qualified name without tag or digest, e.g. `docker.io/library/nginx`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const DEFAULT_REGISTRY = 'docker.io';

export function parseImageRef(image: string): ImageRef {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  const hasRegistry = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  let repository: string;
  if (hasRegistry) repository = rest;
  else if (slash < 0) repository = `${DEFAULT_REGISTRY}/library/${rest}`;
  else repository = `${DEFAULT_REGISTRY}/${rest}`;
  if (!tag && !digest) tag = 'latest';
  return { repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The fully qualified reference, e.g. `docker.io/library/nginx:1.27` (digest kept if given). */
export function normalizeImage(image: string): string {
  const r = parseImageRef(image);
  return r.repository + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}
