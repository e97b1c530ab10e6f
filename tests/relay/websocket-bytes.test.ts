import { describe, expect, it } from 'vitest'
import * as ws from 'ws'
import { websocketBytes, websocketPair } from '../../sync-server/rooms/connection'

/** ws's frame parser (exported at run time, not in @types/ws). */
type ReceiverLike = {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void
  write(chunk: Buffer): void
}
const { Receiver } = ws as unknown as {
  Receiver: new (options: { isServer: boolean; binaryType: string }) => ReceiverLike
}

// The relay writes a frame's WebSocket bytes itself (built once for every reader of a room):
// ws's own client-side parser must read them back as the same binary message.
describe('websocketBytes', () => {
  it.each([0, 1, 125, 126, 65_535, 65_536, 300_000])(
    'frames %i bytes as ws reads them',
    async (n) => {
      const payload = new Uint8Array(n).map((_, i) => i % 251)
      const receiver = new Receiver({ isServer: false, binaryType: 'nodebuffer' })
      const got = new Promise<Buffer>((done) =>
        receiver.on('message', (data: Buffer, isBinary: boolean) => {
          expect(isBinary).toBe(true)
          done(data)
        }),
      )
      const bytes = websocketBytes(payload)
      // The same payload again is the cached buffer.
      expect(websocketBytes(payload)).toBe(bytes)
      receiver.write(bytes)
      expect(new Uint8Array(await got)).toEqual(payload)
    },
  )

  // A writer's sync answer and the relay's sync step 1 leave in one write (issue 11.3, connects).
  it.each([
    [2, 40],
    [125, 126],
    [65_536, 3],
  ])('frames a pair of %i and %i bytes as two messages in order', async (a, b) => {
    const first = new Uint8Array(a).map((_, i) => i % 251)
    const second = new Uint8Array(b).map((_, i) => (i * 7) % 253)
    const receiver = new Receiver({ isServer: false, binaryType: 'nodebuffer' })
    const got: Uint8Array[] = []
    const both = new Promise<void>((done) =>
      receiver.on('message', (data: Buffer) => {
        got.push(new Uint8Array(data))
        if (got.length === 2) done()
      }),
    )
    receiver.write(websocketPair(first, second))
    await both
    expect(got).toEqual([first, second])
  })
})
