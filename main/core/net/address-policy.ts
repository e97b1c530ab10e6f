import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns'
import { lookup as dnsLookup } from 'node:dns'
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

/**
 * Where the core may connect when it fetches something a colleague named (a feed source, an
 * entry's page, an item's image): public unicast addresses only. Loopback, private, link-local,
 * unique-local, carrier-grade NAT, multicast, broadcast, unspecified, reserved and documentation
 * ranges are refused, and so are IPv6 forms that embed an IPv4 address (mapped, compatible,
 * NAT64, 6to4, Teredo), whatever they embed. Otherwise any champion could make every
 * champion's core read the intranet, the router or a cloud metadata endpoint and paste the answer
 * into the shared document.
 *
 * An admin may allow internal hosts explicitly: `PORTE_VOIX_ALLOW_INTERNAL_HOSTS`, a comma list of
 * host names, addresses or CIDR ranges (`intranet.acme.local, 10.20.0.0/16`), set in the
 * environment of the app (or the dev host) on the champions' machines.
 */
export type AddressPolicy = {
  /** Host names (lower case) allowed whatever they resolve to. */
  readonly hosts: ReadonlySet<string>
  /** Address ranges allowed even though they are internal. */
  readonly ranges: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][]
}

export const ALLOW_INTERNAL_ENV = 'PORTE_VOIX_ALLOW_INTERNAL_HOSTS'

/** Public addresses only. */
export const STRICT_POLICY: AddressPolicy = { hosts: new Set(), ranges: [] }

/** Parse an allowance list (see AddressPolicy); entries that are not hosts or ranges are ignored. */
export function parseAllowance(list: string | undefined): AddressPolicy {
  const hosts = new Set<string>()
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = []
  for (const raw of (list ?? '').split(',')) {
    const entry = raw.trim().toLowerCase()
    if (entry === '') continue
    if (entry.includes('/')) {
      try {
        ranges.push(ipaddr.parseCIDR(entry))
      } catch {
        // Not a range: ignored rather than widening anything.
      }
    } else if (isIP(entry.replace(/^\[|\]$/g, ''))) {
      const address = ipaddr.parse(entry.replace(/^\[|\]$/g, ''))
      ranges.push([address, address.kind() === 'ipv4' ? 32 : 128])
    } else {
      hosts.add(entry.replace(/\.$/, ''))
    }
  }
  return { hosts, ranges }
}

export function policyFromEnv(env: NodeJS.ProcessEnv = process.env): AddressPolicy {
  return parseAllowance(env[ALLOW_INTERNAL_ENV])
}

/** Why an address is internal (the ipaddr.js range name), or null for a public address. */
export function internalRange(address: string): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6
  try {
    parsed = ipaddr.parse(address)
  } catch {
    return 'unparsable'
  }
  const range = parsed.range()
  if (range !== 'unicast') {
    if (range !== 'ipv4Mapped') return range
    const inner = internalRange((parsed as ipaddr.IPv6).toIPv4Address().toString())
    return `ipv4Mapped (${inner ?? 'unicast'})`
  }
  // ::a.b.c.d (the deprecated IPv4-compatible form) is "unicast" to ipaddr.js but reaches IPv4.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((p) => p === 0)) {
    return 'ipv4Compatible'
  }
  return null
}

function allowedByRange(address: string, policy: AddressPolicy): boolean {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6
  try {
    parsed = ipaddr.process(address)
  } catch {
    return false
  }
  return policy.ranges.some(([range, bits]) => {
    if (range.kind() !== parsed.kind()) return false
    return parsed.match(range, bits)
  })
}

/** The address the core would connect to is internal and not allowed. */
export class InternalAddressError extends Error {
  readonly code = 'ERR_INTERNAL_ADDRESS'
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(
      `${host} is ${address === host ? 'an' : `at ${address}, an`} internal address (${range}); ` +
        `refused (an admin can allow it with ${ALLOW_INTERNAL_ENV})`,
    )
    this.name = 'InternalAddressError'
  }
}

/** Throw InternalAddressError unless `address` (what `host` resolved to) may be connected to. */
export function assertAllowed(host: string, address: string, policy: AddressPolicy): void {
  const name = host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
  if (policy.hosts.has(name)) return
  const range = internalRange(address)
  if (range === null || allowedByRange(address, policy)) return
  throw new InternalAddressError(name, address, range)
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

/**
 * A `lookup` for net/tls connections that resolves as usual and refuses internal results. The
 * socket connects to exactly what this returns, so the check is on the address actually
 * connected to: a name that resolves to a public address now and to 127.0.0.1 a moment later
 * (DNS rebinding) gets no second chance. Every address of the answer must pass.
 */
export function guardedLookup(policy: AddressPolicy) {
  return (
    hostname: string,
    options: LookupOneOptions | LookupAllOptions | number,
    callback: LookupCallback,
  ): void => {
    const opts = typeof options === 'number' ? { family: options } : options
    dnsLookup(hostname, { ...opts, all: true }, (error, addresses) => {
      if (error) {
        callback(error, [])
        return
      }
      try {
        for (const entry of addresses) assertAllowed(hostname, entry.address, policy)
      } catch (refused) {
        callback(refused as NodeJS.ErrnoException, [])
        return
      }
      if ((opts as LookupAllOptions).all) callback(null, addresses)
      else {
        const first = addresses[0]
        if (!first)
          callback(
            Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }),
            [],
          )
        else callback(null, first.address, first.family)
      }
    })
  }
}
