import { create } from 'zustand'
import type { CoreStatus, QueueFilter, Settings } from '../../../common/contract/api'
import type { CoreClient } from '../../../common/contract/client'
import type { Item, Objective } from '../../../common/model/item'
import { dictionaries, type Language, type MessageKey, systemLanguage } from '../i18n/messages'

type State = {
  client: CoreClient | null
  status: CoreStatus | null
  settings: Settings | null
  queue: Item[]
  filter: { objective: Objective | null; topic: string | null }
  selectedId: string | null
  error: string | null
  connect(client: CoreClient): Promise<void>
  refreshQueue(): Promise<void>
  join(invitation: string): Promise<void>
  setFilter(filter: Partial<State['filter']>): void
  select(id: string | null): void
  clearError(): void
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error))

export const useStore = create<State>((set, get) => ({
  client: null,
  status: null,
  settings: null,
  queue: [],
  filter: { objective: null, topic: null },
  selectedId: null,
  error: null,

  async connect(client) {
    set({ client })
    client.on('status', (status) => set({ status }))
    client.on('queue.changed', () => void get().refreshQueue())
    const [status, settings] = await Promise.all([
      client.call('status.get', {}),
      client.call('settings.get', {}),
    ])
    set({ status, settings })
    await get().refreshQueue()
  },

  async refreshQueue() {
    const { client, status, filter } = get()
    if (!client || !status?.session) return
    const query: QueueFilter = { status: ['published'] }
    if (filter.objective) query.objective = filter.objective
    if (filter.topic) query.topic = filter.topic
    try {
      set({ queue: await client.call('queue.list', query) })
    } catch (error) {
      set({ error: errorMessage(error) })
    }
  },

  async join(invitation) {
    const { client } = get()
    if (!client) return
    try {
      await client.call('workspace.join', { invitation })
      set({ status: await client.call('status.get', {}), error: null })
      await get().refreshQueue()
    } catch (error) {
      set({ error: errorMessage(error) })
      throw error
    }
  },

  setFilter(filter) {
    set({ filter: { ...get().filter, ...filter } })
    void get().refreshQueue()
  },

  select(selectedId) {
    set({ selectedId })
  },

  clearError() {
    set({ error: null })
  },
}))

/** The active language: the setting, or the system's. */
export function useLanguage(): Language {
  const setting = useStore((state) => state.settings?.language ?? 'system')
  return setting === 'system' ? systemLanguage(navigator.languages) : setting
}

export function useT(): (key: MessageKey) => string {
  const language = useLanguage()
  return (key) => dictionaries[language][key]
}
