import { useEffect, useState } from 'react'
import type { CoreClient } from '../../../common/contract/client'
import type { Board } from '../../../common/model/board'
import type { MyRecognition } from '../../../common/model/recognition'

/**
 * A value fetched from the core and fetched again on each of `events` (the board is rewritten
 * live by the relay; my points move with my shares and results). Null until the first answer;
 * a failed fetch keeps what was shown (offline, the core still answers from its replica).
 */
function useLive<T>(
  client: CoreClient | null,
  fetch: (client: CoreClient) => Promise<T>,
  events: readonly ('board.changed' | 'mine.changed' | 'queue.changed')[],
): T | null {
  const [value, setValue] = useState<T | null>(null)
  // biome-ignore lint/correctness/useExhaustiveDependencies: fetch and events are fixed per caller
  useEffect(() => {
    if (!client) return
    let live = true
    const load = () =>
      void fetch(client)
        .then((next) => live && setValue(next))
        .catch(() => {})
    load()
    const offs = events.map((event) => client.on(event, load))
    return () => {
      live = false
      for (const off of offs) off()
    }
  }, [client])
  return value
}

/** The team's board as this device last synced it. */
export function useBoard(client: CoreClient | null): Board | null {
  return useLive(client, (c) => c.call('board.get', {}), ['board.changed'])
}

/** My points, and my rank and challenge standings if I opted in. */
export function useRecognition(client: CoreClient | null): MyRecognition | null {
  return useLive(client, (c) => c.call('recognition.mine', {}), [
    'board.changed',
    'mine.changed',
    'queue.changed',
  ])
}
