import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { events, methods } from '../../common/contract/api'
import { CoreClient } from '../../common/contract/client'
import { memoryTransports } from '../helpers/core'

/** memoryTransports delivers in microtasks: let every queued one run. */
const delivered = () => new Promise((resolve) => setImmediate(resolve))

describe("the contract's tables", () => {
  it('build a method’s schemas on its first use, then keep them', () => {
    // Nothing in this file has used feed.poll yet: its entry is still a builder.
    expect(typeof Object.getOwnPropertyDescriptor(methods, 'feed.poll')?.get).toBe('function')
    const first = methods['feed.poll']
    expect(methods['feed.poll']).toBe(first)
    expect(Object.getOwnPropertyDescriptor(methods, 'feed.poll')).toMatchObject({
      value: first,
      enumerable: true,
    })
  })

  it('list every method and event as an own key with zod schemas', () => {
    const names = Object.keys(methods)
    expect(names.length).toBeGreaterThan(40)
    expect(names).toContain('queue.forMe')
    for (const name of names) {
      expect(Object.hasOwn(methods, name)).toBe(true)
      const spec = methods[name as keyof typeof methods]
      expect(spec.params, name).toBeInstanceOf(z.ZodType)
      expect(spec.result, name).toBeInstanceOf(z.ZodType)
    }
    expect(Object.keys(events)).toEqual([
      'status',
      'nudge.show',
      'settings.changed',
      'doc.refused',
      'board.changed',
      'queue.changed',
      'mine.changed',
    ])
    for (const name of Object.keys(events)) {
      expect(events[name as keyof typeof events], name).toBeInstanceOf(z.ZodType)
    }
    expect(Object.hasOwn(methods, 'toString')).toBe(false)
  })

  it('validate as before: bad params refused, a default applied, a bad result refused', async () => {
    const { a, b, close } = memoryTransports()
    const client = new CoreClient(a)
    const received: string[] = []
    b.onMessage((text) => received.push(text))
    await expect(client.call('item.get', { id: '' })).rejects.toMatchObject({
      code: 'bad_request',
    })
    const answer = client.call('item.get', { id: 'item-1' })
    await delivered()
    const request = JSON.parse(received.at(-1) ?? '{}') as { id: number; method: string }
    expect(request.method).toBe('item.get')
    b.send(JSON.stringify({ t: 'res', id: request.id, ok: true, result: { nope: 1 } }))
    await expect(answer).rejects.toMatchObject({ code: 'internal' })
    const changes: boolean[] = []
    client.on('mine.changed', ({ sharesChanged }) => changes.push(sharesChanged))
    b.send(JSON.stringify({ t: 'event', name: 'mine.changed', payload: { pendingOutbox: 0 } }))
    await delivered()
    expect(changes).toEqual([true])
    close()
  })

  it('an event named after an Object.prototype member is ignored, not thrown on', () => {
    // A transport that delivers synchronously, so that a throw in the client reaches the test.
    let deliver: (text: string) => void = () => {}
    const client = new CoreClient({
      send: () => {},
      onMessage: (listener) => {
        deliver = listener
      },
      onClose: () => {},
    })
    const seen: unknown[] = []
    client.on('status', (status) => seen.push(status))
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(() => deliver(JSON.stringify({ t: 'event', name, payload: {} })), name).not.toThrow()
    }
    deliver(JSON.stringify({ t: 'event', name: 'status', payload: { nope: 1 } }))
    expect(seen).toEqual([])
  })
})
