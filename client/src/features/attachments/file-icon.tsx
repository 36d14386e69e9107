import { FileGlyph } from './icons.tsx';

/** What kind of file, by its type (or, failing that, its name's ending): enough to tell a PDF from a sheet. */
export function fileKind(type: string, name: string): { short: string; label: string } {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  if (type.startsWith('image/')) return { short: 'IMG', label: 'Image' };
  if (type === 'application/pdf' || ext === 'pdf') return { short: 'PDF', label: 'PDF' };
  if (type.startsWith('video/')) return { short: 'VID', label: 'Video' };
  if (type.startsWith('audio/')) return { short: 'AUD', label: 'Audio' };
  if (/sheet|excel|csv/.test(type) || ['xlsx', 'xls', 'csv', 'ods'].includes(ext))
    return { short: 'XLS', label: 'Spreadsheet' };
  if (/presentation|powerpoint/.test(type) || ['pptx', 'ppt', 'odp'].includes(ext))
    return { short: 'PPT', label: 'Slides' };
  if (/word|opendocument\.text|rtf/.test(type) || ['docx', 'doc', 'odt', 'rtf'].includes(ext))
    return { short: 'DOC', label: 'Document' };
  if (/zip|compressed|tar/.test(type) || ['zip', '7z', 'tar', 'gz'].includes(ext))
    return { short: 'ZIP', label: 'Archive' };
  if (type.startsWith('text/')) return { short: 'TXT', label: 'Text' };
  return { short: '', label: 'File' };
}

export function FileIcon({ type, name }: { type: string; name: string }) {
  const k = fileKind(type, name);
  return (
    <span className={`file-icon file-icon-${k.short.toLowerCase() || 'file'}`} aria-hidden="true">
      <FileGlyph label={k.short} />
    </span>
  );
}
