import { useSyncExternalStore } from 'react'
import { peerClass, readPeer } from './presence'
import { useST, useStudio } from './store'

/** Who else has this item open (from awareness), as coloured initials with the full name. */
export function Presence({ itemId }: { itemId: string }) {
  const t = useST()
  const replica = useStudio((state) => state.replica)
  const key = useSyncExternalStore(
    (onChange) => {
      if (!replica) return () => {}
      replica.awareness.on('change', onChange)
      return () => replica.awareness.off('change', onChange)
    },
    () => {
      if (!replica) return ''
      const others: string[] = []
      for (const [clientId, state] of replica.awareness.getStates()) {
        if (clientId === replica.awareness.clientID) continue
        if ((state as { editing?: unknown }).editing !== itemId) continue
        const peer = readPeer(state)
        if (peer) others.push(`${peerClass(peer.color)}\u0000${peer.name}`)
      }
      return [...new Set(others)].sort().join('\u0001')
    },
  )
  if (!key) return null
  const people = key.split('\u0001').map((entry) => {
    const [colorClass = 'pv-peer-0', name = ''] = entry.split('\u0000')
    return { colorClass, name }
  })
  return (
    <div className="presence" data-testid="presence">
      <span className="muted small">{t('item.editing')}</span>
      {people.map((person) => (
        <span
          key={`${person.colorClass}-${person.name}`}
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
