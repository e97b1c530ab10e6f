import type { ReactNode } from 'react'
import type { Item } from '../../../common/model/item'
import { useStudio } from './store'

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
      </button>
      {children}
    </li>
  )
}
