"""Opens files with the Python Office libraries, as a desktop suite would: each argument is
`kind:path` with kind docx, xlsx or pptx. Exits non-zero with the reason if any does not open
as an empty document, workbook or presentation."""
import sys

import docx
import openpyxl
import pptx

for argument in sys.argv[1:]:
    kind, path = argument.split(":", 1)
    if kind == "docx":
        document = docx.Document(path)
        assert all(not paragraph.text for paragraph in document.paragraphs), "blank document"
        assert document.sections, "the document has a page setup"
    elif kind == "xlsx":
        workbook = openpyxl.load_workbook(path)
        sheet = workbook.active
        assert sheet.max_row == 1 and sheet.cell(1, 1).value is None, "blank sheet"
    elif kind == "pptx":
        presentation = pptx.Presentation(path)
        assert len(presentation.slides) == 0, "no slides yet"
        assert len(presentation.slide_layouts) >= 1, "a layout to add slides with"
        presentation.slides.add_slide(presentation.slide_layouts[0])
    else:
        raise SystemExit("unknown kind " + kind)
    print("opened", kind)
