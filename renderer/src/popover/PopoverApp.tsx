import { useStore, useT } from '../state/store'
import { ItemView } from './ItemView'
import { JoinView } from './JoinView'
import { QueueView } from './QueueView'
import { StatusBar } from './StatusBar'

export function PopoverApp() {
  const t = useT()
  const status = useStore((state) => state.status)
  const client = useStore((state) => state.client)
  const queue = useStore((state) => state.queue)
  const selectedId = useStore((state) => state.selectedId)
  const selected = queue.find((item) => item.id === selectedId) ?? null

  if (!client || !status) return <p className="loading">…</p>
  return (
    <main className="popover">
      <StatusBar />
      {!status.session ? (
        <JoinView />
      ) : selected ? (
        <ItemView item={selected} />
      ) : (
        <>
          <h1 className="sr-only">{t('queue.title')}</h1>
          <QueueView />
        </>
      )}
    </main>
  )
}
