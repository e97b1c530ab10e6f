import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/wait'
import { type ConnectionServer, startConnectionServer } from './connection-server'
import { RawClient } from './support'

/**
 * What each idle connection holds (issue 11.3, idle memory): its WebSocket listeners are the same
 * four functions for every connection, not four closures each, and they still do their work:
 * frames are handled, a pong marks the connection alive, an error and a close are logged and
 * let the room go — after close() too.
 */
const EVENTS = ['message', 'pong', 'error', 'close'] as const

let current: ConnectionServer | null = null
afterEach(async () => {
  await current?.close()
  current = null
})

async function harness(): Promise<ConnectionServer> {
  current = await startConnectionServer({
    ref: { workspaceId: 'ws_idle', doc: 'queue' },
    claims: { sub: 'mem_idle', role: 'champion', name: 'Idle' },
    maxMessageBytes: 16 * 1024,
  })
  return current
}

describe('idle connections', () => {
  it('share one listener per WebSocket event, which still reaches each connection', async () => {
    const h = await harness()
    const clients = await Promise.all(
      [0, 1, 2].map(() => RawClient.connect(h.url, { sendLocalUpdates: false })),
    )
    await waitFor('three connections', () => h.held.length === 3)
    for (const event of EVENTS) {
      const mine = h.held.map(({ ws }) => ws.listeners(event))
      // The Connection's is the last (ws's server adds its own `close` first, for its clients set),
      // and the same function object on every socket: no closure per connection.
      for (const listeners of mine) expect(listeners).toHaveLength(event === 'close' ? 2 : 1)
      expect(new Set(mine.map((l) => l.at(-1))).size).toBe(1)
    }
    for (const client of clients) await client.sync()

    // pong: each connection is marked alive by its own socket's pong, not another's.
    const [first, second, third] = h.held as [
      (typeof h.held)[0],
      (typeof h.held)[0],
      (typeof h.held)[0],
    ]
    // As after a ping round: none alive until its own pong comes back.
    for (const { connection } of h.held) connection.alive = false
    first.connection.ping()
    await waitFor('first pong', () => first.connection.alive)
    // A listener that marked another connection (or all of them) alive would show here.
    expect([second.connection.alive, third.connection.alive]).toEqual([false, false])
    second.connection.ping()
    await waitFor('second pong', () => second.connection.alive)
    expect(third.connection.alive).toBe(false)

    // message: a text frame on the second socket closes that connection alone (1003).
    clients[1]?.send('not binary')
    const { code } = await (clients[1] as RawClient).closed
    expect(code).toBe(1003)
    await waitFor('second connection gone', () => h.gone.includes(second.connection))
    expect(h.gone).not.toContain(first.connection)
    expect(h.gone).not.toContain(third.connection)

    // close after close(): still logged once the peer's close frame arrives.
    first.connection.close(1000, 'bye')
    await (clients[0] as RawClient).closed
    await waitFor('close logged', () =>
      h.lines.some(
        (line) =>
          line.includes('connection closed') && line.includes(`conn=${first.connection.id}`),
      ),
    )
    // error: an error the socket emits is logged under its own connection.
    third.ws.emit('error', new Error('boom'))
    expect(
      h.lines.some(
        (line) =>
          line.includes('socket error') &&
          line.includes(`conn=${third.connection.id}`) &&
          line.includes('boom'),
      ),
    ).toBe(true)
    expect(h.gone).toContain(third.connection)
  })
})
