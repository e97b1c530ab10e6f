import { useState } from 'react'
import type { Item } from '../../../common/model/item'
import { NETWORKS, type Network } from '../../../common/model/networks'
import { useStore, useT } from '../state/store'

export function ItemView({ item }: { item: Item }) {
  const t = useT()
  const select = useStore((state) => state.select)
  const settings = useStore((state) => state.settings)
  const networks = settings?.networks.length ? settings.networks : [...NETWORKS]
  const [network, setNetwork] = useState<Network>(networks[0] ?? 'linkedin')
  const caption = item.captions[network]

  return (
    <article className="item-view" data-testid="item-view">
      <button type="button" className="link" onClick={() => select(null)}>
        ← {t('item.back')}
      </button>
      {item.imageUrl ? <img className="item-image" src={item.imageUrl} alt="" /> : null}
      <h2 data-testid="item-title">{item.title}</h2>
      <p className="item-meta">
        <span className={`badge badge-${item.objective}`}>{t(`objective.${item.objective}`)}</span>{' '}
        {t('item.source')}: {item.source}
      </p>
      {item.why ? (
        <section className="why">
          <h3>{t('item.why')}</h3>
          <p>{item.why}</p>
        </section>
      ) : null}
      <nav className="networks" aria-label="networks">
        {networks.map((candidate) => (
          <button
            key={candidate}
            type="button"
            className={candidate === network ? 'tab active' : 'tab'}
            onClick={() => setNetwork(candidate)}
          >
            {candidate}
          </button>
        ))}
      </nav>
      <h3>{t('item.caption')}</h3>
      <p className="caption" data-testid="caption">
        {caption ?? t('item.noCaption')}
      </p>
    </article>
  )
}
