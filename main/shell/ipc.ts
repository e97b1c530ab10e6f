/**
 * The only IPC channels between windows and main. Everything else goes to the core over the
 * contract's MessagePort; these are the few things only main can do. Kept free of imports so the
 * sandboxed preload can bundle it cheaply.
 */
export const IPC = {
  /** main → window: the MessagePort to the core (sent with the message, not as payload). */
  corePort: 'porte-voix:core-port',
  /** window (preload, as it starts) → main: give this page its port to the core now. */
  askCorePort: 'porte-voix:ask-core-port',
  /** main → popover: an invitation link the OS handed us, for the person to confirm. */
  invitation: 'porte-voix:invitation',
  /** window → main: hide the popover (after a share, or Escape). */
  hidePopover: 'porte-voix:hide-popover',
  /** window → main: open the champion studio. */
  openStudio: 'porte-voix:open-studio',
  /** main → popover: a nudge notification was clicked; show this item. */
  openItem: 'porte-voix:open-item',
} as const
