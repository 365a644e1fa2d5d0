/**
 * File folders as Twenty names them; Score stores and serves pictures and FILES fields (as Twenty's file-by-id
 * route does), and keeps the files the `twenty` CLI uploads for an app (services/applications).
 */
export const SERVED_FOLDERS = ["CorePicture", "FilesField", "BuiltLogicFunction", "BuiltFrontComponent", "Source", "PublicAsset", "Dependencies", "AppTarball"] as const
export type ServedFolder = (typeof SERVED_FOLDERS)[number]

export const isServedFolder = (folder: string): folder is ServedFolder => (SERVED_FOLDERS as ReadonlyArray<string>).includes(folder)

/**
 * A client's filename made safe to store and to echo in Content-Disposition: the last path segment only,
 * control and reserved characters replaced, at most 200 characters. Never used in a storage key.
 */
export const sanitiseFilename = (raw: string) => {
  const lastSegment = raw.split(/[\\/]/).pop() ?? ""
  const cleaned = lastSegment
    .normalize("NFC")
    .replace(/[\u0000-\u001f\u007f"<>:|?*]/g, "_")
    .replace(/^\.+/, "")
    .trim()
    .slice(0, 200)
  return cleaned.length > 0 ? cleaned : "file"
}

/** The extension kept in the key and the served name: `.` and up to 10 letters or digits, lowercased. */
export const extensionOf = (filename: string) => {
  const match = /\.([A-Za-z0-9]{1,10})$/.exec(filename)
  return match ? `.${match[1]!.toLowerCase()}` : ""
}

const IMAGE_SIGNATURES: ReadonlyArray<readonly [mime: string, test: (b: Uint8Array) => boolean]> = [
  ["image/png", (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47],
  ["image/jpeg", (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  ["image/gif", (b) => b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38],
  ["image/webp", (b) => b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50]
]

/** Bytes needed to recognise an image. */
export const SNIFF_BYTES = 12

/** The image type the first bytes show (PNG, JPEG, GIF, WebP), else null. SVG is refused: it can carry script. */
export const sniffImage = (head: Uint8Array) => IMAGE_SIGNATURES.find(([, test]) => test(head))?.[0] ?? null

const EXTENSION_TYPES: Readonly<Record<string, string>> = {
  ".pdf": "application/pdf",
  ".txt": "text/plain",
  ".csv": "text/csv",
  ".json": "application/json",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".zip": "application/zip",
  ".doc": "application/msword",
  ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  ".xls": "application/vnd.ms-excel",
  ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  ".mp4": "video/mp4",
  ".mp3": "audio/mpeg"
}

/** The type a file is stored and served with: from its extension for known documents, else a download. */
export const contentTypeOf = (extension: string) => EXTENSION_TYPES[extension] ?? "application/octet-stream"

/** Served inline only when a browser cannot run it (images, PDF, text shown as text); anything else downloads. */
export const isInline = (mimeType: string) => mimeType.startsWith("image/") || mimeType === "application/pdf"

/** Content-Disposition with the stored name, ASCII fallback plus RFC 5987 UTF-8 form. */
export const contentDisposition = (mimeType: string, name: string) => {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/[\\"]/g, "_")
  return `${isInline(mimeType) ? "inline" : "attachment"}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}
