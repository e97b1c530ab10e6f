import { type FormEvent, useState } from 'react'
import { formatDate } from './fields'
import { useST, useStudio } from './store'

/** Feed sources shared by the champions; fetched by this core; errors shown as sent. */
export function FeedsView() {
  const t = useST()
  const feeds = useStudio((state) => state.feeds)
  const members = useStudio((state) => state.members)
  const language = useStudio((state) => state.language)
  const polling = useStudio((state) => state.polling)
  const addFeed = useStudio((state) => state.addFeed)
  const removeFeed = useStudio((state) => state.removeFeed)
  const pollFeeds = useStudio((state) => state.pollFeeds)
  const [url, setUrl] = useState('')
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (await addFeed(url.trim())) setUrl('')
  }
  return (
    <div className="page">
      <div className="page-head">
        <h2 className="pane-title">{t('feeds.title')}</h2>
        <button
          type="button"
          className="button"
          data-testid="poll-feeds"
          disabled={polling || feeds.length === 0}
          onClick={() => void pollFeeds()}
        >
          {polling ? t('feeds.polling') : t('feeds.poll')}
        </button>
      </div>
      <p className="muted">{t('feeds.help')}</p>
      <form className="row feed-form" onSubmit={submit}>
        <input
          required
          type="url"
          className="grow"
          aria-label={t('feeds.url')}
          placeholder={t('feeds.url')}
          value={url}
          data-testid="feed-url"
          onChange={(event) => setUrl(event.target.value)}
        />
        <button type="submit" className="button button-primary">
          {t('feeds.add')}
        </button>
      </form>
      {feeds.length === 0 ? <p className="empty">{t('feeds.empty')}</p> : null}
      <ul className="feeds" data-testid="feeds">
        {feeds.map((feed) => {
          const failed = feed.lastStatus !== null && feed.lastStatus !== 'ok'
          const by = members.find((member) => member.id === feed.addedBy)?.displayName
          return (
            <li key={feed.id} className={`feed${failed ? ' failed' : ''}`} data-testid="feed">
              <div className="feed-main">
                <span className="feed-url">{feed.url}</span>
                <span className="muted small">
                  {by ? `${t('feeds.addedBy')} ${by} · ` : ''}
                  {feed.lastPolledAt
                    ? `${t('feeds.lastPolled')} ${formatDate(feed.lastPolledAt, language)}`
                    : t('feeds.never')}
                </span>
                {failed && feed.lastMessage ? (
                  <span className="feed-error" data-testid="feed-error">
                    {feed.lastMessage}
                  </span>
                ) : null}
              </div>
              {feed.lastStatus ? (
                <span className={`pill ${failed ? 'pill-error' : 'pill-published'}`}>
                  {failed ? feed.lastStatus : t('feeds.ok')}
                </span>
              ) : null}
              <button
                type="button"
                className="link danger"
                onClick={() => void removeFeed(feed.id)}
              >
                {t('feeds.remove')}
              </button>
            </li>
          )
        })}
      </ul>
    </div>
  )
}
