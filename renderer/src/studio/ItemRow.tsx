import type { ReactNode } from 'react'
import type { Item } from '../../../common/model/item'
import { useST, useStudio } from './store'

/**
 * One row of a studio item list (items, review): the item's title and `meta` on a button that
 * selects it; `children` follow the button in the row.
 */
export function ItemRow({
  item,
  testId,
  meta,
  children,
}: {
  item: Item
  testId: string
  meta: ReactNode
  children?: ReactNode
}) {
  const selected = useStudio((state) => state.selectedId === item.id)
  const select = useStudio((state) => state.select)
  return (
    <li className={selected ? 'selected' : ''}>
      <button
        type="button"
        className="studio-item"
        data-testid={testId}
        onClick={() => select(item.id)}
      >
        <span className="studio-item-title">{item.title}</span>
        <span className="studio-item-meta">{meta}</span>
        <ItemCounts itemId={item.id} />
      </button>
      {children}
    </li>
  )
}

/** Shares and clicks of the item, from the board (nothing until it was shared). */
function ItemCounts({ itemId }: { itemId: string }) {
  const t = useST()
  const language = useStudio((state) => state.language)
  const counts = useStudio((state) => state.boardItems[itemId])
  if (!counts || (counts.shares === 0 && counts.clicks === 0)) return null
  // French says "0 partage, 1 partage": the language's own plural rule, not n === 1.
  const plural = new Intl.PluralRules(language)
  return (
    <span className="studio-item-counts muted small" data-testid="item-counts">
      {t(plural.select(counts.shares) === 'one' ? 'items.shares.one' : 'items.shares.other', {
        n: counts.shares,
      })}
      {' · '}
      {t(plural.select(counts.clicks) === 'one' ? 'items.clicks.one' : 'items.clicks.other', {
        n: counts.clicks,
      })}
    </span>
  )
}
