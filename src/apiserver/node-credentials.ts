// Node credentials: what an agent trades its bootstrap token for (POST /everynode/v1/nodecredentials).
//
// - a node token, `everynode-node.<payload>.<HMAC-SHA256>`, naming `system:node:<name>`. It is
//   stateless: the server checks the signature with DIR/pki/node-token.key, so tokens survive
//   restarts and are revoked all at once by replacing that file;
// - a serving certificate for the agent's log endpoint, signed by the cluster CA for the public
//   key the agent sent (its private key never leaves the host), CN `system:node:<name>`;
// - the name the API server's client certificate carries when it calls the agent, so the agent
//   answers only the API server ("authenticated both ways": the API server checks the agent's
//   certificate against the CA and its CN against the node it meant to reach).
import { x509 } from './x509.js';
import { createHmac, randomBytes, timingSafeEqual, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { ApiError, errors } from '../api/errors.js';
import { isPlainObject } from '../api/object.js';
import { invalid, required, type FieldError } from '../api/validation/field-errors.js';
import { isDNS1123Subdomain } from '../api/validation/names.js';
import { decodeBody, readBody, sendJson } from './http-util.js';
import { exportKey, importSigningKey, pemBody, signCertificate } from './pki.js';
import type { User } from './auth.js';


export const NODE_CREDENTIALS_PATH = '/everynode/v1/nodecredentials';
/** CN of the client certificate the API server presents to agents. */
export const APISERVER_CLIENT_NAME = 'everynode:apiserver-kubelet-client';
export const NODE_USER_PREFIX = 'system:node:';
export const NODES_GROUP = 'system:nodes';

const TOKEN_PREFIX = 'everynode-node';
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const NODE_CERT_DAYS = 365;
const CLIENT_CERT_DAYS = 3650;
const MAX_ADDRESSES = 32;
const DAY_MS = 24 * 3600 * 1000;

/** The body an agent posts. */
export interface NodeCredentialsRequest {
  nodeName: string;
  /** The agent's serving public key, SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
  publicKey: string;
  /** IPs and DNS names the agent's log endpoint is reached at (the node name is always added). */
  addresses?: string[];
}

/** The answer (201). */
export interface NodeCredentialsResponse {
  kind: 'NodeCredentials';
  apiVersion: 'everynode.io/v1';
  nodeName: string;
  token: string;
  certificate: string;
  caCertificate: string;
  apiServerClientName: string;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The node name of a node user (`system:node:<name>` in group system:nodes), else undefined. */
export function nodeNameOf(user: User): string | undefined {
  return user.groups.includes(NODES_GROUP) && user.name.startsWith(NODE_USER_PREFIX) ? user.name.slice(NODE_USER_PREFIX.length) : undefined;
}

export function nodeUser(nodeName: string): User {
  return { name: NODE_USER_PREFIX + nodeName, groups: [NODES_GROUP, 'system:authenticated'] };
}

export class NodeCredentialIssuer {
  private constructor(
    private readonly secret: Buffer,
    private readonly caCert: x509.X509Certificate,
    private readonly caKey: webcrypto.CryptoKey,
    readonly caPem: string,
    /** The API server's client certificate and key for calls to agents. */
    readonly clientCertPem: string,
    readonly clientKeyPem: string,
  ) {}

  /**
   * Reads (and on first use creates) the token secret and the API server's agent-client
   * certificate in `pkiDir`, which already holds the cluster CA (ca.crt, ca.key).
   */
  static async load(pkiDir: string): Promise<NodeCredentialIssuer> {
    const file = (name: string): string => join(pkiDir, name);
    const write = (name: string, text: string): void => writeFileSync(file(name), text, { mode: 0o600 });
    if (!existsSync(file('node-token.key'))) write('node-token.key', randomBytes(32).toString('hex') + '\n');
    const secret = Buffer.from(readFileSync(file('node-token.key'), 'utf8').trim(), 'hex');
    const caPem = readFileSync(file('ca.crt'), 'utf8');
    const caCert = new x509.X509Certificate(caPem);
    const caKey = await importSigningKey(readFileSync(file('ca.key'), 'utf8'));
    const clientCrt = 'apiserver-kubelet-client.crt';
    const clientKey = 'apiserver-kubelet-client.key';
    if (!existsSync(file(clientCrt)) || !existsSync(file(clientKey)) || !issuedBy(readFileSync(file(clientCrt), 'utf8'), caPem)) {
      const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
      const cert = await signCertificate(caCert, caKey, keys.publicKey, `CN=${APISERVER_CLIENT_NAME}, O=system:masters`, CLIENT_CERT_DAYS * DAY_MS, [
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      ]);
      write(clientKey, await exportKey(keys.privateKey));
      write(clientCrt, cert);
    }
    return new NodeCredentialIssuer(secret, caCert, caKey, caPem, readFileSync(file(clientCrt), 'utf8'), readFileSync(file(clientKey), 'utf8'));
  }

  private sign(payload: string): Buffer {
    return createHmac('sha256', this.secret).update(`${TOKEN_PREFIX}.${payload}`).digest();
  }

  issueToken(nodeName: string, now = new Date()): string {
    const payload = Buffer.from(JSON.stringify({ n: nodeName, iat: Math.floor(now.getTime() / 1000) })).toString('base64url');
    return `${TOKEN_PREFIX}.${payload}.${this.sign(payload).toString('base64url')}`;
  }

  /** The node a token was issued to, or undefined for anything not signed with our secret. */
  verifyToken(token: string): string | undefined {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX) return undefined;
    const [, payload, sig] = parts as [string, string, string];
    if (!sameBytes(Buffer.from(sig, 'base64url'), this.sign(payload))) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { n?: unknown };
      return typeof claims.n === 'string' && claims.n ? claims.n : undefined;
    } catch {
      return undefined;
    }
  }

  /** A serving certificate for the node's log endpoint, for the agent's own public key. */
  async issueServingCertificate(nodeName: string, publicKeyPem: string, addresses: string[]): Promise<string> {
    let publicKey: webcrypto.CryptoKey;
    try {
      publicKey = await webcrypto.subtle.importKey('spki', pemBody(publicKeyPem), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    } catch {
      throw errors.badRequest('publicKey must be an ECDSA P-256 public key in PEM (SPKI) form');
    }
    const names = [...new Set([nodeName, ...addresses])];
    return signCertificate(this.caCert, this.caKey, publicKey, `CN=${NODE_USER_PREFIX}${nodeName}, O=${NODES_GROUP}`, NODE_CERT_DAYS * DAY_MS, [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => (isIP(n) ? { type: 'ip', value: n } : { type: 'dns', value: n }))),
    ]);
  }

  /** POST /everynode/v1/nodecredentials for an authenticated user. */
  async serve(req: IncomingMessage, res: ServerResponse, user: User): Promise<void> {
    if (req.method !== 'POST') throw errors.methodNotAllowed();
    const body = decodeBody(req.headers['content-type'], await readBody(req, 64 * 1024));
    const request = parseRequest(body);
    if (!mayRequest(user, request.nodeName)) {
      throw new ApiError(
        403,
        'Forbidden',
        `nodecredentials "${request.nodeName}" is forbidden: User "${user.name}" cannot create credentials for node "${request.nodeName}"`,
        { name: request.nodeName, kind: 'nodecredentials' },
      );
    }
    const response: NodeCredentialsResponse = {
      kind: 'NodeCredentials',
      apiVersion: 'everynode.io/v1',
      nodeName: request.nodeName,
      token: this.issueToken(request.nodeName),
      certificate: await this.issueServingCertificate(request.nodeName, request.publicKey, request.addresses ?? []),
      caCertificate: this.caPem,
      apiServerClientName: APISERVER_CLIENT_NAME,
    };
    sendJson(res, 201, response);
  }
}

/** The bootstrap token and the admin may ask for any node; a node only renews its own. */
function mayRequest(user: User, nodeName: string): boolean {
  if (user.groups.includes('system:masters') || user.groups.includes('system:bootstrappers')) return true;
  return nodeNameOf(user) === nodeName;
}

function parseRequest(body: unknown): NodeCredentialsRequest {
  if (!isPlainObject(body)) throw errors.badRequest('the request body must be a JSON object');
  const problems: FieldError[] = [];
  const { nodeName, publicKey, addresses } = body as Record<string, unknown>;
  if (typeof nodeName !== 'string' || !nodeName) problems.push(required('nodeName'));
  else for (const msg of isDNS1123Subdomain(nodeName)) problems.push(invalid('nodeName', nodeName, msg));
  if (typeof publicKey !== 'string' || !publicKey.includes('PUBLIC KEY')) problems.push(required('publicKey', 'a PEM public key'));
  if (addresses !== undefined) {
    if (!Array.isArray(addresses) || addresses.length > MAX_ADDRESSES) {
      problems.push(invalid('addresses', addresses, `must be a list of at most ${MAX_ADDRESSES} IPs or DNS names`));
    } else {
      addresses.forEach((a, i) => {
        if (typeof a !== 'string' || (!isIP(a) && isDNS1123Subdomain(a).length > 0)) problems.push(invalid(`addresses[${i}]`, a, 'must be an IP address or a DNS name'));
      });
    }
  }
  if (problems.length) throw errors.invalid('NodeCredentials', 'everynode.io', typeof nodeName === 'string' ? nodeName : '', problems);
  return body as unknown as NodeCredentialsRequest;
}

function issuedBy(certPem: string, caPem: string): boolean {
  try {
    return new X509Certificate(certPem).verify(new X509Certificate(caPem).publicKey);
  } catch {
    return false;
  }
}
