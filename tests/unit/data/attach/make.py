#!/usr/bin/python3
"""Write the sample files test_attach.c sniffs: small but real files of each
accepted type (and some refused ones), made from scratch with the standard
library only, laid out the way the usual programs write them.  Run it from
any directory; it writes next to itself.  The output is deterministic."""
import io
import os
import random
import struct
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
WHEN = (2024, 3, 27, 10, 0, 0)


def write(name, data):
    with open(os.path.join(HERE, name), 'wb') as f:
        f.write(data)


def zipped(entries):
    """entries: (name, bytes, stored?) in order; returns the zip's bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        for name, data, stored in entries:
            info = zipfile.ZipInfo(name, WHEN)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


XML = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# --- PDF: one A4 page of text, with a correct cross-reference table. ---
def pdf():
    text = b'BT /F1 12 Tf 72 770 Td (Minutes of the integrated care board meeting) Tj ET\n'
    objs = [
        b'<< /Type /Catalog /Pages 2 0 R >>',
        b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] '
        b'/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
        b'<< /Length %d >>\nstream\n' % len(text) + text + b'endstream',
        b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    ]
    out = bytearray(b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n')
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b'%d 0 obj\n' % i + body + b'\nendobj\n'
    xref = len(out)
    out += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objs) + 1)
    for off in offsets:
        out += b'%010d 00000 n \n' % off
    out += b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (len(objs) + 1, xref)
    return bytes(out)

# --- PNG: truecolour, with CRCs and zlib data. ---
def png(w, h, pixel):
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    raw = b''.join(b'\x00' + b''.join(bytes(pixel(x, y)) for x in range(w)) for y in range(h))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))

# --- JPEG: baseline JFIF, 8x8 grey, one block whose coefficients are all
# zero (mid grey): DC difference category 0 and end-of-block, each coded
# with a one-code Huffman table ("0"), padded with 1 bits. ---
def jpeg():
    def seg(marker, data):
        return b'\xff' + bytes([marker]) + struct.pack('>H', len(data) + 2) + data
    counts = bytes([1] + [0] * 15)
    return (b'\xff\xd8' +
            seg(0xE0, b'JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00') +
            seg(0xDB, b'\x00' + bytes([1] * 64)) +
            seg(0xC0, b'\x08\x00\x08\x00\x08\x01\x01\x11\x00') +
            seg(0xC4, b'\x00' + counts + b'\x00') +
            seg(0xC4, b'\x10' + counts + b'\x00') +
            seg(0xDA, b'\x01\x01\x00\x00\x3f\x00') +
            b'\x3f' + b'\xff\xd9')

# --- OOXML parts. ---
CT_DOCX = XML + b'''<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>'''
RELS = XML + b'''<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="%s"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>'''
DOC_RELS = XML + b'''<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>%s</Relationships>'''
IMG_REL = b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.png"/>'
DOCUMENT = XML + b'''<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Dear Sir or Madam,</w:t></w:r></w:p><w:p><w:r><w:t>I write about the proposal to close the stroke unit.</w:t></w:r></w:p><w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>'''
STYLES = XML + b'''<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style></w:styles>'''
CORE = XML + b'''<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Letter</dc:title></cp:coreProperties>'''
APP = XML + b'''<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>callin tests</Application></Properties>'''
SETTINGS = XML + b'''<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:zoom w:percent="100"/></w:settings>'''
FONTS = XML + b'''<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:font w:name="Arial"/></w:fonts>'''

CT_XLSX = XML + b'''<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>'''
WORKBOOK = XML + b'''<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Contacts" sheetId="1" r:id="rId1"/></sheets></workbook>'''
WB_RELS = XML + b'''<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'''
SHEET = XML + b'''<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>2024</v></c></row></sheetData></worksheet>'''
XSTYLES = XML + b'''<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Arial"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellXfs></styleSheet>'''
STRINGS = XML + b'''<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>Integrated care board</t></si></sst>'''

CT_PPTX = XML + b'''<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>'''
PRESENTATION = XML + b'''<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>'''

# --- ODF parts. ---
def manifest(mime):
    return XML + b'''<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="%s"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/></manifest:manifest>''' % mime
ODF_NS = b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.3"'
ODT_CONTENT = XML + b'<office:document-content ' + ODF_NS + b'><office:body><office:text><text:p>Notes of the public meeting about the stroke unit.</text:p></office:text></office:body></office:document-content>'
ODS_CONTENT = XML + b'<office:document-content ' + ODF_NS + b'><office:body><office:spreadsheet><table:table table:name="Contacts"><table:table-row><table:table-cell><text:p>ICB</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>'
ODF_STYLES = XML + b'<office:document-styles ' + ODF_NS + b'/>'
ODF_META = XML + b'<office:document-meta ' + ODF_NS + b'><office:meta/></office:document-meta>'
ODF_SETTINGS = XML + b'<office:document-settings ' + ODF_NS + b'/>'


def main():
    rnd = random.Random(20240327)
    write('minutes.pdf', pdf())
    write('chart.png', png(16, 16, lambda x, y: (x * 16, y * 16, 128)))
    write('photo.jpg', jpeg())
    docx_word = 'word/document.xml'
    # Word's own order: content types and package relationships first.
    write('letter.docx', zipped([
        ('[Content_Types].xml', CT_DOCX, False), ('_rels/.rels', RELS % docx_word.encode(), False),
        ('word/_rels/document.xml.rels', DOC_RELS % b'', False), ('word/document.xml', DOCUMENT, False),
        ('word/styles.xml', STYLES, False), ('docProps/core.xml', CORE, False), ('docProps/app.xml', APP, False)]))
    # LibreOffice's order: relationships and properties first, content types last.
    write('letter-libreoffice.docx', zipped([
        ('_rels/.rels', RELS % docx_word.encode(), False), ('docProps/app.xml', APP, False),
        ('docProps/core.xml', CORE, False), ('word/_rels/document.xml.rels', DOC_RELS % b'', False),
        ('word/settings.xml', SETTINGS, False), ('word/fontTable.xml', FONTS, False),
        ('word/styles.xml', STYLES, False), ('word/document.xml', DOCUMENT, False),
        ('[Content_Types].xml', CT_DOCX, False)]))
    # Bigger than CL_SNIFF_BYTES: a stored noise picture after the text.
    noise = png(150, 150, lambda x, y: (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    write('letter-with-picture.docx', zipped([
        ('[Content_Types].xml', CT_DOCX, False), ('_rels/.rels', RELS % docx_word.encode(), False),
        ('word/_rels/document.xml.rels', DOC_RELS % IMG_REL, False), ('word/document.xml', DOCUMENT, False),
        ('word/media/image1.png', noise, True), ('word/styles.xml', STYLES, False),
        ('docProps/core.xml', CORE, False), ('docProps/app.xml', APP, False)]))
    write('contacts.xlsx', zipped([
        ('[Content_Types].xml', CT_XLSX, False), ('_rels/.rels', RELS % b'xl/workbook.xml', False),
        ('xl/workbook.xml', WORKBOOK, False), ('xl/_rels/workbook.xml.rels', WB_RELS, False),
        ('xl/worksheets/sheet1.xml', SHEET, False), ('xl/styles.xml', XSTYLES, False),
        ('xl/sharedStrings.xml', STRINGS, False), ('docProps/core.xml', CORE, False),
        ('docProps/app.xml', APP, False)]))
    write('contacts-libreoffice.xlsx', zipped([
        ('_rels/.rels', RELS % b'xl/workbook.xml', False), ('docProps/app.xml', APP, False),
        ('docProps/core.xml', CORE, False), ('xl/_rels/workbook.xml.rels', WB_RELS, False),
        ('xl/sharedStrings.xml', STRINGS, False), ('xl/worksheets/sheet1.xml', SHEET, False),
        ('xl/styles.xml', XSTYLES, False), ('xl/workbook.xml', WORKBOOK, False),
        ('[Content_Types].xml', CT_XLSX, False)]))
    write('slides.pptx', zipped([
        ('[Content_Types].xml', CT_PPTX, False), ('_rels/.rels', RELS % b'ppt/presentation.xml', False),
        ('ppt/presentation.xml', PRESENTATION, False), ('docProps/core.xml', CORE, False)]))
    odt = b'application/vnd.oasis.opendocument.text'
    write('notes.odt', zipped([
        ('mimetype', odt, True), ('meta.xml', ODF_META, False), ('settings.xml', ODF_SETTINGS, False),
        ('content.xml', ODT_CONTENT, False), ('styles.xml', ODF_STYLES, False),
        ('META-INF/manifest.xml', manifest(odt), False)]))
    ods = b'application/vnd.oasis.opendocument.spreadsheet'
    write('contacts.ods', zipped([
        ('mimetype', ods, True), ('meta.xml', ODF_META, False), ('settings.xml', ODF_SETTINGS, False),
        ('content.xml', ODS_CONTENT, False), ('styles.xml', ODF_STYLES, False),
        ('META-INF/manifest.xml', manifest(ods), False)]))
    write('evidence.zip', zipped([('a.txt', b'first file\n', False), ('b.txt', b'second file\n', False)]))
    letter = ('Dear Sir or Madam,\n\nI am writing about the closure of the stroke unit at the '
              'district hospital. The consultation closed on 27 March 2024 \u2013 we were given '
              '\u201cthree weeks\u201d to respond. Caf\u00e9 meetings cost \u00a35. \U0001F600\n')
    write('letter.txt', letter.encode('utf-8'))
    write('letter-latin1.txt', 'Caf\u00e9 meetings cost \u00a35. Na\u00efve r\u00e9sum\u00e9.\n'.encode('latin-1') * 4)
    write('letter-utf16.txt', '\ufeffDear Sir or Madam, the stroke unit.\r\n'.encode('utf-16-le') * 4)
    write('contacts.csv', ('organisation,date,method,outcome\n'
                           'Integrated care board,2024-01-09,email,no reply\n'
                           'NHS trust,2024-02-13,letter,"met, nothing agreed"\n'
                           'Health scrutiny committee,2024-03-05,meeting,referred\n'
                           'Healthwatch,2024-03-20,phone,supportive\n').encode('utf-8'))
    write('page.html', b'<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(1)</script></body></html>\n')


if __name__ == '__main__':
    main()
