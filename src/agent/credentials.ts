// The agent's own credentials, obtained once with the bootstrap token and kept in the state dir:
// a node token (`system:node:<name>`: its own Node, its own Lease, its own pods), a serving
// certificate for its log endpoint (the private key is made here and never leaves the host),
// the cluster CA, and the name the API server's client certificate carries. A restarted agent
// reuses them; it asks again when they are for another node, another cluster CA, addresses the
// certificate does not cover, or expire within 30 days (or when told to, e.g. after a 401).
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { ApiError } from '../api/errors.js';

/** The server's route (src/apiserver/node-credentials.ts; not imported, to keep the CA code out of the agent). */
export const NODE_CREDENTIALS_PATH = '/everynode/v1/nodecredentials';
const FILE = 'node-credentials.json';
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

export interface NodeCredentials {
  nodeName: string;
  /** Bearer token for the API server. */
  token: string;
  /** The log endpoint's serving certificate and key (PEM). */
  certPem: string;
  keyPem: string;
  /** The cluster CA: verifies the API server, and the API server's client certificate. */
  caPem: string;
  /** The CN of the API server's client certificate: the only caller the log endpoint answers. */
  apiServerClientName: string;
}

export interface CredentialOptions {
  /** API server URL. */
  server: string;
  /** The cluster CA the agent was given (--ca-file). */
  ca: string;
  bootstrapToken: string;
  nodeName: string;
  /** IPs and names the log endpoint is reached at; the node name is always included. */
  addresses: string[];
  stateDir: string;
  /** Ask the server even if stored credentials look usable (e.g. the server answered 401). */
  renew?: boolean;
  now?: Date;
}

function covers(cert: X509Certificate, name: string): boolean {
  return (isIP(name) ? cert.checkIP(name) : cert.checkHost(name)) !== undefined;
}

/** The stored credentials if they still fit these options, else undefined. */
export function loadNodeCredentials(opts: CredentialOptions): NodeCredentials | undefined {
  const file = join(opts.stateDir, FILE);
  if (!existsSync(file)) return undefined;
  let stored: NodeCredentials;
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as NodeCredentials;
    const cert = new X509Certificate(stored.certPem);
    const now = (opts.now ?? new Date()).getTime();
    if (stored.nodeName !== opts.nodeName || stored.caPem.trim() !== opts.ca.trim() || !stored.token) return undefined;
    if (new Date(cert.validTo).getTime() - now < RENEW_BEFORE_MS) return undefined;
    if (![opts.nodeName, ...opts.addresses].every((a) => covers(cert, a))) return undefined;
    return stored;
  } catch {
    return undefined; // unreadable: ask again
  }
}

function post(opts: CredentialOptions, body: object): Promise<unknown> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(NODE_CREDENTIALS_PATH, opts.server),
      {
        method: 'POST',
        ca: opts.ca,
        headers: { Authorization: `Bearer ${opts.bootstrapToken}`, 'Content-Type': 'application/json', 'Content-Length': data.length, Accept: 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          if ((res.statusCode ?? 500) >= 300) {
            const s = (json ?? {}) as { message?: string; reason?: string };
            return reject(new ApiError(res.statusCode ?? 500, s.reason ?? 'Unknown', `cannot obtain node credentials: ${s.message ?? (text || `HTTP ${res.statusCode}`)}`));
          }
          resolve(json);
        });
        res.on('error', reject);
      },
    );
    req.on('error', (err) => reject(new Error(`cannot reach the API server at ${opts.server}: ${err.message}`)));
    req.end(data);
  });
}

/** Asks the API server for new credentials with the bootstrap token and stores them (mode 0600). */
export async function requestNodeCredentials(opts: CredentialOptions): Promise<NodeCredentials> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const answer = (await post(opts, {
    nodeName: opts.nodeName,
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }),
    addresses: opts.addresses.filter((a) => a !== opts.nodeName),
  })) as { token?: string; certificate?: string; caCertificate?: string; apiServerClientName?: string };
  if (!answer?.token || !answer.certificate || !answer.caCertificate || !answer.apiServerClientName) {
    throw new Error('the API server answered the node credentials request without a token or certificate');
  }
  const creds: NodeCredentials = {
    nodeName: opts.nodeName,
    token: answer.token,
    certPem: answer.certificate,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    caPem: answer.caCertificate,
    apiServerClientName: answer.apiServerClientName,
  };
  mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
  const file = join(opts.stateDir, FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(creds, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${file}.tmp`, file); // never a half-written file after a crash
  return creds;
}

/** The stored credentials when they still fit, else new ones from the API server. */
export async function nodeCredentials(opts: CredentialOptions): Promise<NodeCredentials> {
  return (!opts.renew && loadNodeCredentials(opts)) || requestNodeCredentials(opts);
}
