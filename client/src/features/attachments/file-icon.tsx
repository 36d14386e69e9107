/** A glyph for a file by its type (or, failing that, its name's ending): enough to tell a PDF from a sheet. */
export function fileKind(type: string, name: string): { glyph: string; label: string } {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  if (type.startsWith('image/')) return { glyph: '🖼️', label: 'Image' };
  if (type === 'application/pdf' || ext === 'pdf') return { glyph: '📕', label: 'PDF' };
  if (type.startsWith('video/')) return { glyph: '🎞️', label: 'Video' };
  if (type.startsWith('audio/')) return { glyph: '🎵', label: 'Audio' };
  if (/sheet|excel|csv/.test(type) || ['xlsx', 'xls', 'csv', 'ods'].includes(ext))
    return { glyph: '📊', label: 'Spreadsheet' };
  if (/presentation|powerpoint/.test(type) || ['pptx', 'ppt', 'odp'].includes(ext))
    return { glyph: '📽️', label: 'Slides' };
  if (/word|opendocument\.text|rtf/.test(type) || ['docx', 'doc', 'odt', 'rtf'].includes(ext))
    return { glyph: '📝', label: 'Document' };
  if (/zip|compressed|tar/.test(type) || ['zip', '7z', 'tar', 'gz'].includes(ext))
    return { glyph: '🗜️', label: 'Archive' };
  if (type.startsWith('text/')) return { glyph: '📄', label: 'Text' };
  return { glyph: '📎', label: 'File' };
}

export function FileIcon({ type, name }: { type: string; name: string }) {
  const k = fileKind(type, name);
  return (
    <span className="file-icon" aria-hidden="true" title={k.label}>
      {k.glyph}
    </span>
  );
}
