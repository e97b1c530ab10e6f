import { useEffect } from 'react'
import type { Settings } from '../../../common/contract/api'
import { themeAttribute } from './logic'

/**
 * Language and theme on the document (`lang` for screen readers, `data-theme` for CSS), live;
 * shared by the popover and the studio so both windows follow the same settings the same way.
 */
export function useDocumentPreferences(
  language: string,
  theme: Settings['theme'] | undefined,
): void {
  useEffect(() => {
    document.documentElement.lang = language
  }, [language])
  useEffect(() => {
    const attribute = themeAttribute(theme)
    if (attribute) document.documentElement.dataset.theme = attribute
    else delete document.documentElement.dataset.theme
  }, [theme])
}
