"""PDF rendering: time per decision (warm and first in a fresh process), size, fonts, and
throughput with 1 and 2 rendering processes.

    .venv/bin/python bench/bench_pdf.py [--documents 20] [--repeat 10]

Set-up (not timed): a throw-away SQLite database (``bench_engine.database_prepare``), the
demo seed, and ``--documents`` temporary-relief cases walked to their decision
(``bench/scenarios.py``), each with its decision document (罗店政救〔2026〕N号).

1. **warm**: ``engine.documents.document_pdf`` of one decision ``--repeat`` times in this
   process after one untimed render: p50 / p95 and the size; the embedded fonts (what
   ``pdffonts`` lists) with their bytes.
   **signing**: ``document_pdf_unsigned`` (WeasyPrint) and ``document_sign`` (pyHanko,
   PAdES B-B with the issuing unit's demo key) interleaved ``--repeat`` times: the added ms per
   document, its share of the whole, and the bytes the signature adds.
2. **first render in a fresh process**: a new Python process imports Django, then renders one
   decision; printed separately: the import of WeasyPrint, and the render itself, as a Celery
   worker's first task would pay them.
3. **throughput**: every decision rendered by 1 process, then split over 2 processes
   (``multiprocessing``, as Celery's prefork pool would), wall time and documents/s; ratio.
"""
import argparse
import io
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_engine  # noqa: E402  (after the path set-up)


def decisions_make(count: int) -> list[int]:
    import scenarios

    from engine.models import Document
    from engine.tasks import document_render_task

    queued: list[int] = []

    def keep(args, **_options):
        queued.append(args[0])

    with mock.patch.object(document_render_task, "apply_async", new=keep):
        for _ in range(count):
            scenarios.TEMPORARY_RELIEF.engine_instance({})
    pks = list(Document.objects.filter(pk__in=queued, doc_type="relief_decision")
               .order_by("pk").values_list("pk", flat=True))
    assert len(pks) == count, (len(pks), count)
    return pks


def _render(pk: int) -> bytes:
    from engine.documents import document_pdf
    from engine.models import Document

    return document_pdf(Document.objects.select_related(
        "issuer_unit", "handling_unit", "case__village").get(pk=pk))


def embedded_fonts(pdf: bytes) -> list[tuple[str, int]]:
    from pypdf import PdfReader

    fonts = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            stream = next(descriptor[key].get_object() for key in
                          ("/FontFile3", "/FontFile2", "/FontFile") if key in descriptor)
            fonts.append((str(font["/BaseFont"]).lstrip("/"), len(stream._data)))
    return sorted(set(fonts))


def warm(pk: int, repeat: int) -> None:
    pdf = _render(pk)  # untimed: loads WeasyPrint and the fonts
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        pdf = _render(pk)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(f"1. warm render of one decision, {repeat} times: p50 {statistics.median(times):.0f} "
          f"ms, p95 {p95:.0f} ms, min {times[0]:.0f} ms; size {len(pdf) / 1024:.1f} KB")
    for name, size in embedded_fonts(pdf):
        print(f"   font {name}: {size / 1024:.1f} KB embedded")
    # Baseline, interleaved in the same run: the same HTML as plain WeasyPrint renders it with
    # the system's Noto Serif CJK SC and a fresh font configuration each time (how documents
    # were rendered before the document fonts).
    from django.conf import settings
    from weasyprint import CSS, HTML

    from engine.documents import document_html
    from engine.models import Document

    html = document_html(Document.objects.get(pk=pk))
    base_url = f"{settings.PRINT_TEMPLATES_DIR.resolve().as_uri()}/"
    system_face = CSS(string='html, .verify, .header .office, .title { font-family: '
                             '"Noto Serif CJK SC", serif !important; } @page { @bottom-right {'
                             ' font-family: "Noto Serif CJK SC", serif !important; } }')
    ours, plain = [], []
    for _ in range(max(3, repeat // 2)):
        started = time.perf_counter()
        _render(pk)
        ours.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        plain_pdf = HTML(string=html, base_url=base_url).write_pdf(stylesheets=[system_face])
        plain.append((time.perf_counter() - started) * 1000)
    print(f"   interleaved with plain WeasyPrint on the system face: ours p50 "
          f"{statistics.median(ours):.0f} ms, plain {statistics.median(plain):.0f} ms "
          f"({statistics.median(plain) / statistics.median(ours):.1f}x slower), "
          f"{len(plain_pdf) / 1024:.0f} KB ({len(plain_pdf) / len(pdf):.1f}x larger)")


FRESH = """
import os, sys, time
started = time.perf_counter()
sys.path.insert(0, {root!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
import django
django.setup()
from engine.documents import document_pdf
from engine.models import Document
document = Document.objects.select_related("issuer_unit", "handling_unit", "case__village").get(pk={pk})
ready = time.perf_counter()
import weasyprint
imported = time.perf_counter()
document_pdf(document)
done = time.perf_counter()
print(f"{{(imported - ready) * 1000:.0f}} {{(done - imported) * 1000:.0f}} {{(ready - started) * 1000:.0f}}")
"""


def signing_cost(pk: int, repeat: int) -> None:
    from engine.documents import document_pdf_unsigned, document_sign
    from engine.models import Document

    document = Document.objects.select_related("issuer_unit", "handling_unit",
                                               "case__village").get(pk=pk)
    document_sign(document, document_pdf_unsigned(document))  # untimed: loads the key
    render, sign = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        unsigned = document_pdf_unsigned(document)
        rendered = time.perf_counter()
        signed = document_sign(document, unsigned)
        done = time.perf_counter()
        render.append((rendered - started) * 1000)
        sign.append((done - rendered) * 1000)
    render_ms, sign_ms = statistics.median(render), statistics.median(sign)
    print(f"   signing (PAdES B-B, RSA-2048, pyHanko): +{sign_ms:.1f} ms per document "
          f"(p50; min {min(sign):.1f} ms) on a {render_ms:.0f} ms render = "
          f"{sign_ms / (render_ms + sign_ms) * 100:.0f}% of the total; "
          f"+{(len(signed) - len(unsigned)) / 1024:.1f} KB")


def fresh(pk: int) -> None:
    output = subprocess.run([sys.executable, "-c", FRESH.format(root=str(ROOT), pk=pk)],
                            capture_output=True, text=True, check=True, env=os.environ).stdout
    weasy_import, first, django_start = (float(v) for v in output.split()[-3:])
    print(f"2. first render in a fresh process: import WeasyPrint {weasy_import:.0f} ms + "
          f"render {first:.0f} ms = {weasy_import + first:.0f} ms (Django set-up before it "
          f"{django_start:.0f} ms, paid once at worker start)")


def _render_all(pks: list[int]) -> int:
    from django.db import connections

    connections.close_all()  # a forked child opens its own connection
    for pk in pks:
        _render(pk)
    return len(pks)


def throughput(pks: list[int]) -> None:
    _render(pks[0])  # warm this process (forked children inherit the loaded fonts)
    results = {}
    for processes in (1, 2):
        parts = [pks[i::processes] for i in range(processes)]
        started = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            done = sum(pool.map(_render_all, parts))
        elapsed = time.perf_counter() - started
        results[processes] = done / elapsed
        print(f"3. {done} decisions over {processes} process(es): {elapsed:.2f} s, "
              f"{results[processes]:.1f} documents/s")
    print(f"   2 processes / 1 process: {results[2] / results[1]:.2f}x "
          f"(on {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="minzheng-bench-pdf-") as tmpdir:
        os.environ.pop("DATABASE_URL", None)
        # A throw-away demo CA and unit keys, not the installation's var/signing.
        os.environ["SIGNING_DIR"] = os.path.join(tmpdir, "signing")
        database = bench_engine.database_prepare(tmpdir)
        bench_engine.django_setup()
        print(f"Setting up ({database}) ...", flush=True)
        bench_engine.database_seed()
        pks = decisions_make(max(args.documents, 2))
        from importlib.metadata import version

        print(f"WeasyPrint {version('weasyprint')}, Python {sys.version.split()[0]}, "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
        warm(pks[0], args.repeat)
        signing_cost(pks[0], args.repeat)
        fresh(pks[1])
        throughput(pks)


if __name__ == "__main__":
    main()
