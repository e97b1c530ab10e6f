// uPlot's own stylesheet, bundled with this lazily loaded chunk: windows load nothing remote.
import 'uplot/dist/uPlot.min.css'
import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import type { PaceSeries } from '../pace'

/** A color from the stylesheet (canvas needs a resolved value, not var(--accent)). */
function cssColor(element: HTMLElement, property: string, fallback: string): string {
  const probe = document.createElement('span')
  probe.style.color = `var(${property}, ${fallback})`
  element.append(probe)
  const color = getComputedStyle(probe).color
  probe.remove()
  return color || fallback
}

/**
 * Campaign progress over time (uPlot): the cumulative count so far against the straight line
 * to the target by the deadline. The figure's text (the caller's) says the same in words; the
 * canvas is decoration for screen readers.
 */
export default function PaceChart({
  series,
  labels,
  language,
}: {
  series: PaceSeries
  labels: { actual: string; pace: string }
  language: string
}) {
  const host = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const element = host.current
    if (!element) return
    const accent = cssColor(element, '--accent', '#3b5bdb')
    const text = getComputedStyle(element).color || '#666'
    const dayFormat = new Intl.DateTimeFormat(language, {
      day: 'numeric',
      month: 'short',
      timeZone: 'UTC',
    })
    const numberFormat = new Intl.NumberFormat(language)
    const axis = {
      stroke: text,
      grid: { stroke: 'rgba(128,128,128,0.15)' },
      ticks: { show: false },
    }
    const plot = new uPlot(
      {
        width: Math.max(240, Math.min(640, element.clientWidth || 480)),
        height: 160,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: true } },
        axes: [
          {
            ...axis,
            values: (_u, ticks) => ticks.map((tick) => dayFormat.format(new Date(tick * 1000))),
          },
          {
            ...axis,
            size: 44,
            values: (_u, ticks) => ticks.map((tick) => numberFormat.format(tick)),
          },
        ],
        series: [
          {},
          { label: labels.actual, stroke: accent, width: 2, fill: 'rgba(59,91,219,0.08)' },
          { label: labels.pace, stroke: text, width: 1, dash: [6, 4], points: { show: false } },
        ],
      },
      [series.x, series.actual, series.pace],
      element,
    )
    return () => plot.destroy()
  }, [series, labels, language])
  return <div ref={host} className="pace-chart" aria-hidden="true" data-testid="pace-chart" />
}
