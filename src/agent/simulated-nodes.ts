// PURE: what a simulated node says about itself — a realistic 4-CPU / 16 GiB machine — and the
// fake addresses of nodes and pods. The addresses are only data (nothing ever connects to them):
// node <prefix><i> is 10.<h>.<(i+1)/256>.<(i+1)%256>, with <h> derived from the prefix so that
// agents with different prefixes rarely overlap; its pods get 100.64.0.0/10 addresses, one /24
// per node. Unique within one agent for up to 16,383 nodes (and 65,535 for node addresses).
import type { NodeSystemInfo } from 'kubernetes-types/core/v1.js';
import type { NodeDescription } from './node-status.js';

export const SIMULATED_KUBELET_VERSION = 'v1.33.0-everynode';

export interface SimulatedNodeOptions {
  prefix: string;
  labels?: Record<string, string>;
  kernelVersion: string;
  containerRuntimeVersion: string;
  /** Changes with every agent start, so that each node's bootID does, as a machine's does with every boot. */
  bootSeed: string;
}

const CAPACITY = {
  cpu: '4',
  'ephemeral-storage': '101430960Ki',
  'hugepages-1Gi': '0',
  'hugepages-2Mi': '0',
  memory: '16374584Ki',
  pods: '110',
};

/** What the kubelet subtracts by default: 100 Mi of memory and 10 % of the disk for eviction thresholds. */
const ALLOCATABLE = {
  ...CAPACITY,
  'ephemeral-storage': '93478772736',
  memory: '16272184Ki',
};

/** FNV-1a, 32 bits: a stable small hash for names. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0').slice(-width);
}

export function simulatedNodeName(prefix: string, index: number): string {
  return `${prefix}${index}`;
}

export function simulatedNodeIP(prefix: string, index: number): string {
  const n = (index + 1) & 0xffff;
  return `10.${1 + (fnv1a(prefix) % 254)}.${n >> 8}.${n & 255}`;
}

/** The `slot`-th pod address of node `index` (slots 0..252 map to .2 ... .254). */
export function simulatedPodIP(index: number, slot: number): string {
  const n = (index + 1) & 0x3fff;
  return `100.${64 + (n >> 8)}.${n & 255}.${2 + (slot % 253)}`;
}

/** A machine-id-like identifier (32 hex digits) that stays the same for the same node name. */
function machineID(name: string): string {
  return [fnv1a(name), fnv1a(`${name}#1`), fnv1a(`${name}#2`), fnv1a(`${name}#3`)].map((h) => hex(h, 8)).join('');
}

function uuidOf(id: string): string {
  return `${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-8${id.slice(17, 20)}-${id.slice(20, 32)}`;
}

export function simulatedNode(index: number, o: SimulatedNodeOptions): NodeDescription {
  const name = simulatedNodeName(o.prefix, index);
  const id = machineID(name);
  const nodeInfo: NodeSystemInfo = {
    machineID: id,
    systemUUID: uuidOf(machineID(`${name}/uuid`)),
    bootID: uuidOf(machineID(`${name}/boot/${o.bootSeed}`)),
    kernelVersion: o.kernelVersion,
    osImage: 'everynode simulated Linux',
    containerRuntimeVersion: o.containerRuntimeVersion,
    kubeletVersion: SIMULATED_KUBELET_VERSION,
    kubeProxyVersion: '',
    operatingSystem: 'linux',
    architecture: 'amd64',
  };
  return {
    name,
    internalIP: simulatedNodeIP(o.prefix, index),
    labels: o.labels,
    capacity: { ...CAPACITY },
    allocatable: { ...ALLOCATABLE },
    nodeInfo,
  };
}
