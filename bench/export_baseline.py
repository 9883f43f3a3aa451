"""XLSX baseline: the export's cells written straight with XlsxWriter, no Django, no database.

``python -m bench.export_baseline N``: builds the N rows the product export writes
for the bench data (same values, already plain: no decryption, no conversion),
then times only the writing, in ``constant_memory`` mode like the product.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

from bench import common, definitions


def main(count: int) -> dict:
    rows = [definitions.export_plain_row(i) for i in range(count)]
    kinds = definitions.EXPORT_KINDS
    headers = ["Aktenzeichen", "Eingegangen am", "Version", "Testeingang"] + [
        key.replace("_", " ").title() for key, _kind, _options in definitions.EXPORT_FIELDS
    ]
    with tempfile.TemporaryDirectory(prefix="kreiswerk-bench-xlsx-") as directory:
        path = Path(directory) / "baseline.xlsx"
        started = time.perf_counter()
        workbook = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "tmpdir": directory,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        formats = {
            "money": workbook.add_format({"num_format": '#,##0.00 "€"'}),
            "decimal": workbook.add_format({"num_format": "0.00##########"}),
            "integer": None,
            "date": workbook.add_format({"num_format": "dd.mm.yyyy"}),
            "datetime": workbook.add_format({"num_format": "dd.mm.yyyy hh:mm"}),
        }
        sheet = workbook.add_worksheet("Anträge")
        for column, header in enumerate(headers):
            sheet.set_column(column, column, max(10, min(50, len(header) + 2)))
            sheet.write_string(0, column, header, bold)
        sheet.freeze_panes(1, 1)
        writers = []
        for kind in kinds:
            if kind in {"date", "datetime"}:
                writers.append((sheet.write_datetime, formats[kind]))
            elif kind in {"integer", "money", "decimal"}:
                writers.append((sheet.write_number, formats[kind]))
            else:
                writers.append((sheet.write_string, None))
        for number, cells in enumerate(rows, start=1):
            for column, value in enumerate(cells):
                write, cell_format = writers[column]
                write(number, column, value, cell_format)
        sheet.autofilter(0, 0, count, len(headers) - 1)
        workbook.close()
        seconds = time.perf_counter() - started
        size = path.stat().st_size
    return {"seconds": seconds, "rows": count, "file_mb": size / 1024 / 1024, "peak_mb": common.peak_rss_mb()}


if __name__ == "__main__":
    common.report(main(int(sys.argv[1])))
