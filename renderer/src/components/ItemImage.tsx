import { useEffect, useState } from 'react'
import type { CoreClient } from '../../../common/contract/client'

/**
 * An item's image, as the core fetched and keeps it (a data: URL). The window never loads the
 * image's own URL: its CSP allows no remote image, so an image host cannot see who looks at the
 * queue, and images show offline once fetched. Nothing is drawn until (or unless) it is there.
 */
export function ItemImage({
  client,
  url,
  alt,
  className,
}: {
  client: CoreClient | null
  url: string | null
  alt: string
  className?: string
}) {
  const [src, setSrc] = useState<string | null>(null)
  useEffect(() => {
    setSrc(null)
    if (!client || !url) return
    let current = true
    client.call('image.get', { url }).then(
      (answer) => {
        if (current) setSrc(answer.dataUrl)
      },
      () => {
        // No image is better than an error where a picture was.
      },
    )
    return () => {
      current = false
    }
  }, [client, url])
  if (!src) return null
  return <img className={className} src={src} alt={alt} data-testid="item-image" />
}
