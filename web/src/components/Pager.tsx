interface Props {
  page: number;
  pages: number;
  total: number;
  onPage: (page: number) => void;
  label: string;
}

export function Pager({ page, pages, total, onPage, label }: Props) {
  if (pages <= 1) return <p className="muted pager-total">{total === 1 ? "1 item" : `${total} items`}</p>;
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="secondary" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        ‹ Previous
      </button>
      <span aria-live="polite">
        Page {page} of {pages}
        <span className="pager-count"> · {total} items</span>
      </span>
      <button type="button" className="secondary" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next ›
      </button>
    </nav>
  );
}
