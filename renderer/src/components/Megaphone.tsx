/** The app's mark, drawn with React elements (emoji fonts are missing on many Linux desktops). */
export function Megaphone({ size = 40 }: { size?: number }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.6}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d="M3 10v4a1 1 0 0 0 1 1h2l9 5V4L6 9H4a1 1 0 0 0-1 1z" />
      <path d="M6 15l1.5 5h2.5l-1.2-4.2" />
      <path d="M18.5 9a4 4 0 0 1 0 6" />
    </svg>
  )
}
