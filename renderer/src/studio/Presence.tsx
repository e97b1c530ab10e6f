import { useSyncExternalStore } from 'react'
import { peerClass, readPeer } from './presence'
import { useReplicas, useST } from './store'

type Person = { colorClass: string; name: string }

/** Who else has this item open (from awareness), as coloured initials with the full name. */
export function Presence({ itemId }: { itemId: string }) {
  const t = useST()
  // An item is open in the queue's replica or in curation's: look at both.
  const replicas = useReplicas()
  // A JSON snapshot (a string, so unchanged awareness does not re-render): names come from
  // other clients and may hold any character, so no separator could be trusted to split them.
  const key = useSyncExternalStore(
    (onChange) => {
      for (const replica of replicas) replica.awareness.on('change', onChange)
      return () => {
        for (const replica of replicas) replica.awareness.off('change', onChange)
      }
    },
    () => {
      const others = new Map<string, Person>()
      for (const replica of replicas)
        for (const [clientId, state] of replica.awareness.getStates()) {
          if (clientId === replica.awareness.clientID) continue
          if ((state as { editing?: unknown }).editing !== itemId) continue
          const peer = readPeer(state)
          if (!peer) continue
          const person: Person = { colorClass: peerClass(peer.color), name: peer.name }
          others.set(JSON.stringify([person.colorClass, person.name]), person)
        }
      return JSON.stringify(
        [...others.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p),
      )
    },
  )
  const people = JSON.parse(key) as Person[]
  if (people.length === 0) return null
  return (
    <div className="presence" data-testid="presence">
      <span className="muted small">{t('item.editing')}</span>
      {people.map((person) => (
        <span
          key={JSON.stringify([person.colorClass, person.name])}
          className={`avatar ${person.colorClass}`}
          title={person.name}
        >
          {initials(person.name)}
          <span className="sr-only">{person.name}</span>
        </span>
      ))}
    </div>
  )
}

function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]?.toUpperCase() ?? '')
    .join('')
}
