// The server's credentials, made once per data dir: a CA, a serving certificate signed by it,
// an admin token and an agent bootstrap token. Re-running only reissues the serving certificate
// when it does not cover an address the server is now asked to listen on.
import { x509 } from './x509.js';
import { randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import YAML from 'yaml';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;


const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

export interface Credentials {
  caPem: string;
  certPem: string;
  keyPem: string;
  adminToken: string;
  agentToken: string;
}

/** PKCS#8 PEM of a private key. */
export async function exportKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').trim()}\n-----END PRIVATE KEY-----\n`;
}

/** The DER bytes inside a PEM block. */
export function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** The CA's signing key (PKCS#8 PEM, ECDSA P-256). */
export function importSigningKey(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', pemBody(pem), alg, true, ['sign']);
}

function serial(): string {
  return '01' + randomBytes(8).toString('hex');
}

/** A leaf certificate for `publicKey`, signed by the CA, valid from an hour ago for `validMs`. */
export async function signCertificate(
  caCert: x509.X509Certificate,
  caKey: CryptoKey,
  publicKey: CryptoKey,
  subject: string,
  validMs: number,
  extensions: x509.Extension[],
): Promise<string> {
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + validMs),
    signingAlgorithm: alg,
    publicKey: publicKey as never,
    signingKey: caKey as never,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      ...extensions,
    ],
  });
  return cert.toString('pem');
}

/** Every name a client on this host may use to reach the server. */
export function serverAddresses(bind: string): string[] {
  const names = new Set(['localhost', '127.0.0.1', '::1', hostname()]);
  if (bind && bind !== '0.0.0.0' && bind !== '::') names.add(bind);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(a.address);
  return [...names];
}

async function issueServing(caCert: x509.X509Certificate, caKey: CryptoKey, names: string[]): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const certPem = await signCertificate(caCert, caKey, keys.publicKey, 'CN=everynode-apiserver', TEN_YEARS_MS, [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(names.map((n) => (isIP(n) ? { type: 'ip', value: n } : { type: 'dns', value: n }))),
  ]);
  return { certPem, keyPem: await exportKey(keys.privateKey) };
}

function covers(certPem: string, names: string[]): boolean {
  const cert = new X509Certificate(certPem);
  return names.every((n) => (isIP(n) ? cert.checkIP(n) : cert.checkHost(n)) !== undefined);
}

export async function ensureCredentials(dataDir: string, bind: string): Promise<Credentials> {
  const pki = join(dataDir, 'pki');
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  const file = (name: string): string => join(pki, name);
  const write = (name: string, text: string): void => writeFileSync(file(name), text, { mode: 0o600 });

  if (!existsSync(file('ca.key'))) {
    const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: 'CN=everynode-ca',
      notBefore: new Date(Date.now() - 3600_000),
      notAfter: new Date(Date.now() + TEN_YEARS_MS),
      keys: keys as never,
      signingAlgorithm: alg,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      ],
    });
    write('ca.key', await exportKey(keys.privateKey));
    write('ca.crt', ca.toString('pem'));
  }
  if (!existsSync(file('admin-token'))) write('admin-token', randomBytes(24).toString('hex') + '\n');
  if (!existsSync(file('agent-token'))) write('agent-token', randomBytes(24).toString('hex') + '\n');

  const caPem = readFileSync(file('ca.crt'), 'utf8');
  const names = serverAddresses(bind);
  if (!existsSync(file('server.crt')) || !covers(readFileSync(file('server.crt'), 'utf8'), names)) {
    const caKey = await importSigningKey(readFileSync(file('ca.key'), 'utf8'));
    const { certPem, keyPem } = await issueServing(new x509.X509Certificate(caPem), caKey, names);
    write('server.key', keyPem);
    write('server.crt', certPem);
  }
  return {
    caPem,
    certPem: readFileSync(file('server.crt'), 'utf8'),
    keyPem: readFileSync(file('server.key'), 'utf8'),
    adminToken: readFileSync(file('admin-token'), 'utf8').trim(),
    agentToken: readFileSync(file('agent-token'), 'utf8').trim(),
  };
}

export function kubeconfig(server: string, caPem: string, user: string, token: string): string {
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'everynode', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'everynode', context: { cluster: 'everynode', user } }],
    'current-context': 'everynode',
  });
}
