import { createRequire } from 'node:module'
import { isIP } from 'node:net'
import { Readable } from 'node:stream'
import zlib from 'node:zlib'
import { type AddressPolicy, assertAllowed, guardedLookup } from './address-policy'

/**
 * Through require(): node:http's ES-module facade reads every export, and one of them loads
 * undici (~70 built-in modules) when the core's module is imported, just after the first answers.
 */
const nodeRequire = createRequire(import.meta.url)
const http = nodeRequire('node:http') as typeof import('node:http')
const https = nodeRequire('node:https') as typeof import('node:https')

/** The fetch signature the feed reader and the image cache take (a subset of WHATWG fetch). */
export type FetchImpl = (input: string, init: RequestInit) => Promise<Response>

/**
 * A fetch that can only reach addresses the policy allows. It runs on node:http(s) with a
 * `lookup` that checks the resolved address the socket then connects to (no check-then-connect
 * gap); an address literal in the URL is checked before connecting. Redirects are never followed
 * here (the caller follows them one by one, so each hop goes through this check again). Bodies
 * are decompressed (gzip, deflate, br) as fetch would, and the caller's size caps count
 * decompressed bytes.
 */
export function guardedFetch(policy: AddressPolicy): FetchImpl {
  const lookup = guardedLookup(policy)
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      let url: URL
      try {
        url = new URL(input)
      } catch (error) {
        reject(error)
        return
      }
      const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null
      if (client === null) {
        reject(new TypeError(`only http(s) can be fetched, not ${url.protocol}`))
        return
      }
      const host = url.hostname.replace(/^\[|\]$/g, '')
      if (isIP(host)) {
        try {
          assertAllowed(host, host, policy)
        } catch (error) {
          reject(error)
          return
        }
      }
      const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br' }
      new Headers(init.headers).forEach((value, key) => {
        headers[key] = value
      })
      const signal = init.signal ?? undefined
      const request = client.request(url, {
        method: init.method ?? 'GET',
        headers,
        lookup,
        // A fresh connection per request: a pooled socket was checked for another host.
        agent: false,
        ...(signal ? { signal } : {}),
      })
      request.on('error', reject)
      request.on('response', (response) => {
        const responseHeaders = new Headers()
        for (const [key, value] of Object.entries(response.headers)) {
          if (value === undefined) continue
          for (const one of Array.isArray(value) ? value : [value]) responseHeaders.append(key, one)
        }
        const status = response.statusCode ?? 502
        let body: Readable = response
        const encoding = (response.headers['content-encoding'] ?? '').trim().toLowerCase()
        const decoder =
          encoding === 'gzip' || encoding === 'x-gzip'
            ? zlib.createGunzip()
            : encoding === 'deflate'
              ? zlib.createInflate()
              : encoding === 'br'
                ? zlib.createBrotliDecompress()
                : null
        if (decoder) {
          response.on('error', (error) => decoder.destroy(error))
          body = response.pipe(decoder)
        }
        const nullBody = status === 204 || status === 304 || (init.method ?? 'GET') === 'HEAD'
        const web = nullBody ? null : (Readable.toWeb(body) as ReadableStream<Uint8Array>)
        if (nullBody) response.resume()
        // Response refuses 1xx and some 5xx-ish values outside 200–599; map them to a bad gateway.
        resolve(
          new Response(web, {
            status: status >= 200 && status <= 599 ? status : 502,
            statusText: response.statusMessage ?? '',
            headers: responseHeaders,
          }),
        )
      })
      request.end(init.body === undefined || init.body === null ? undefined : String(init.body))
    })
}
