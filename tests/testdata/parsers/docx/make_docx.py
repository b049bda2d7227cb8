#!/usr/bin/env python3
"""Generates the DOCX fixtures in this directory (run from anywhere; output is deterministic).

  sample.docx        headings via localised style ids (German Word: "berschrift1" named
                     "heading 1"), Title style, lists (numPr and "List Paragraph" style), a table,
                     tracked changes, a field code, a content control, core.xml title
  bomb.docx          word/document.xml inflates from ~60 KB to 64 MB (ratio ~1000:1)
  lying-size.docx    the zip directory claims word/document.xml is 100 bytes; it inflates to more
  zipcrypto.docx     word/document.xml flagged as encrypted (traditional PKWARE encryption)
  ole-encrypted.docx an OLE2 compound file, which is what a password-protected .docx really is
  not-a-zip.docx     plain text
  truncated.docx     the first half of sample.docx
"""
import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
</Types>"""

RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
</Relationships>"""

STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles {W}>
<w:style w:type="paragraph" w:default="1" w:styleId="Standard"><w:name w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="Titel"><w:name w:val="Title"/><w:basedOn w:val="Standard"/></w:style>
<w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/><w:basedOn w:val="Standard"/>
  <w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="berschrift2"><w:name w:val="heading 2"/><w:basedOn w:val="Standard"/></w:style>
<w:style w:type="paragraph" w:styleId="Kapitel"><w:name w:val="Chapter Heading"/><w:basedOn w:val="berschrift1"/></w:style>
<w:style w:type="paragraph" w:styleId="Listenabsatz"><w:name w:val="List Paragraph"/><w:basedOn w:val="Standard"/></w:style>
<w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/></w:style>
</w:styles>"""

CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/">
<dc:title>Quarterly Report Q3</dc:title><dc:creator>Jane Doe</dc:creator>
</cp:coreProperties>"""


def para(text, style=None, extra_ppr=''):
    ppr = ''
    if style or extra_ppr:
        ppr = '<w:pPr>' + (f'<w:pStyle w:val="{style}"/>' if style else '') + extra_ppr + '</w:pPr>'
    return f'<w:p>{ppr}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


NUMPR = '<w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr>'

BODY = ''.join([
    para('Quarterly Report 2024', 'Titel'),
    para('Summary', 'berschrift1'),
    # Runs split mid-word, a preserved space, a tab, tracked changes and a field code.
    '<w:p><w:r><w:t>Revenue grew by </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>12</w:t></w:r>'
    '<w:r><w:t xml:space="preserve"> </w:t></w:r><w:r><w:t>per</w:t></w:r><w:r><w:t>cent.</w:t></w:r>'
    '<w:r><w:tab/><w:t>Costs fell</w:t></w:r>'
    '<w:del w:id="1" w:author="x"><w:r><w:delText> DELETED TEXT</w:delText></w:r></w:del>'
    '<w:ins w:id="2" w:author="x"><w:r><w:t xml:space="preserve"> slightly</w:t></w:r></w:ins>'
    '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE \\* MERGEFORMAT </w:instrText></w:r>'
    '<w:r><w:fldChar w:fldCharType="end"/></w:r><w:r><w:t>.</w:t></w:r></w:p>',
    '<w:p><w:hyperlink w:history="1"><w:r><w:t>See the appendix</w:t></w:r></w:hyperlink>'
    '<w:r><w:t xml:space="preserve"> for the e</w:t></w:r><w:r><w:noBreakHyphen/><w:t>mail list.</w:t></w:r></w:p>',
    para('Next steps', 'berschrift2'),
    para('Hire two engineers', None, NUMPR),
    para('Open the Berlin office', None, NUMPR),
    para('Review pricing', 'Listenabsatz'),
    para('Figures', 'Heading2'),  # English id not in styles.xml: recognised by its id
    '<w:tbl><w:tblPr/>'
    '<w:tr><w:tc><w:p><w:r><w:t>Region</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Q2</w:t></w:r></w:p></w:tc>'
    '<w:tc><w:p><w:r><w:t>Q3</w:t></w:r></w:p></w:tc></w:tr>'
    '<w:tr><w:tc><w:p><w:r><w:t>Europe</w:t></w:r></w:p><w:p><w:r><w:t>(incl. UK)</w:t></w:r></w:p></w:tc>'
    '<w:tc><w:p/></w:tc><w:tc><w:p><w:r><w:t>4.2</w:t></w:r></w:p></w:tc></w:tr>'
    '</w:tbl>',
    para('Outlook', None, '<w:outlineLvl w:val="2"/>'),
    '<w:sdt><w:sdtPr/><w:sdtContent>' + para('Inside a content control.') + '</w:sdtContent></w:sdt>',
    para('Chapter styled heading', 'Kapitel'),
    '<w:p/>',
    para('Last paragraph.'),
    '<w:sectPr/>',
])

DOCUMENT = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document {W}><w:body>{BODY}</w:body></w:document>"""


def write_zip(path, parts):
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


def standard_parts(document):
    return [('[Content_Types].xml', CONTENT_TYPES), ('_rels/.rels', RELS),
            ('word/document.xml', document), ('word/styles.xml', STYLES),
            ('docProps/core.xml', CORE)]


def patch_entry(path, name, patch):
    """Calls patch(buf, header_offset, is_central) for the local and central headers of `name`."""
    buf = bytearray(open(path, 'rb').read())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
    patch(buf, info.header_offset, False)
    eocd = buf.rfind(b'PK\x05\x06')
    cd_offset = struct.unpack_from('<I', buf, eocd + 16)[0]
    pos = cd_offset
    while buf[pos:pos + 4] == b'PK\x01\x02':
        n, m, k = struct.unpack_from('<HHH', buf, pos + 28)
        if buf[pos + 46:pos + 46 + n].decode() == name:
            patch(buf, pos, True)
        pos += 46 + n + m + k
    open(path, 'wb').write(bytes(buf))


def main():
    sample = os.path.join(HERE, 'sample.docx')
    write_zip(sample, standard_parts(DOCUMENT))

    filler = 'A' * (64 << 20)
    bomb_doc = (f'<?xml version="1.0"?><w:document {W}><w:body><w:p><w:r><w:t>' + filler +
                '</w:t></w:r></w:p></w:body></w:document>')
    write_zip(os.path.join(HERE, 'bomb.docx'), standard_parts(bomb_doc))

    def lie_size(buf, off, central):
        # uncompressed size: local header +22, central header +24
        struct.pack_into('<I', buf, off + (24 if central else 22), 100)
    lying = os.path.join(HERE, 'lying-size.docx')
    write_zip(lying, standard_parts(DOCUMENT))
    patch_entry(lying, 'word/document.xml', lie_size)

    def encrypt_flag(buf, off, central):
        flag_at = off + (8 if central else 6)
        flags = struct.unpack_from('<H', buf, flag_at)[0]
        struct.pack_into('<H', buf, flag_at, flags | 1)
    crypto = os.path.join(HERE, 'zipcrypto.docx')
    write_zip(crypto, standard_parts(DOCUMENT))
    patch_entry(crypto, 'word/document.xml', encrypt_flag)

    with open(os.path.join(HERE, 'ole-encrypted.docx'), 'wb') as f:
        f.write(b'\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1' + b'\0' * 504)
    with open(os.path.join(HERE, 'not-a-zip.docx'), 'w') as f:
        f.write('This is plain text with a .docx extension.\n')
    data = open(sample, 'rb').read()
    with open(os.path.join(HERE, 'truncated.docx'), 'wb') as f:
        f.write(data[:len(data) // 2])


if __name__ == '__main__':
    main()
