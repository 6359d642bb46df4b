"""``kedge cost`` and ``kedge orphans``: what an app costs a month, and what nobody owns.

Both only read: ``cost`` prices the manifests (no target is contacted), ``orphans`` lists what
exists in each target that no app owns. Both exit 0 unless the input is wrong; unpriced
resources are listed with the reason, never an error.

Like every command module, this one imports only Typer, the standard library and the CLI's
own helpers at the top; the engine is imported inside the commands, so ``kedge --help``
never loads it.
"""

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kedge.cli import output
from kedge.cli.oneshot import DbOpt, Format, OutOpt, PathArg, PlatformOpt

if TYPE_CHECKING:
    from kedge.cost import Estimate

CatalogOpt = Annotated[
    Path | None,
    typer.Option(
        "--catalog", help="A price catalog file [default: the one shipped with Kedge].", show_default=False
    ),
]


def register(app: typer.Typer, handle: Callable[[Any], Any]) -> None:
    @app.command()
    @handle
    def cost(
        path: PathArg,
        fmt: OutOpt = Format.text,
        catalog: CatalogOpt = None,
        db: DbOpt = None,
        platform: PlatformOpt = None,
    ) -> None:
        """Estimate the monthly cost of an app's resources from the offline price catalog."""
        from kedge.engine.cost import estimate_app, load_catalog
        from kedge.engine.platform import expander, load_platform
        from kedge.engine.render import render
        from kedge.model import ConfigError

        prices = load_catalog(catalog)
        if not path.exists():
            raise ConfigError(f"{path}: no such file or directory")
        rendered = render(path, expand=expander(load_platform(platform or [])))
        estimate = estimate_app(rendered, prices) if rendered.ok else None
        problems = [*rendered.diagnostics, *(estimate.diagnostics if estimate else [])]
        if estimate is None or any(d.is_error for d in problems):
            output.diagnostics(problems)
            raise typer.Exit(1)
        if fmt is Format.json:
            output.print_json(estimate.to_json())
        else:
            output.diagnostics(problems)
            show_estimate(estimate)

    from kedge.cli import orphans

    orphans.register(app, handle)


def money(amount: float, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _rate(price: float) -> str:
    return f"{price:.10f}".rstrip("0").rstrip(".") or "0"


def show_estimate(estimate: "Estimate") -> None:
    currency = estimate.currency
    for r in estimate.resources:
        output.out.print(f"{r.key.kind}/{output.escape(r.key.name)}  [bold]{money(r.monthly, currency)}[/]")
        for c in r.components:
            output.out.print(
                f"    {output.escape(c.name)}: {c.quantity:,.10g} {output.escape(c.unit)} x {_rate(c.price)}"
                f" = {money(c.monthly, currency)}"
            )
    for u in estimate.unpriced:
        output.out.print(
            f"[dim]{u.key.kind}/{output.escape(u.key.name)}  unpriced: {output.escape(u.reason)}[/]"
        )
    for claim in estimate.claims:  # a claim costs what its composed resources cost
        output.out.print(
            f"Claim {claim.claim.kind}/{output.escape(claim.claim.name)}  "
            f"[bold]{money(claim.monthly, currency)}[/]"
        )
        for key, monthly in claim.resources:
            price = "unpriced" if monthly is None else money(monthly, currency)
            output.out.print(f"    {key.kind}/{output.escape(key.name)}: {price}")
    output.out.print(
        f"[bold]Monthly cost:[/] {money(estimate.total, currency)} for {len(estimate.resources)} priced "
        f"resource(s), {len(estimate.unpriced)} unpriced (730 hours a month, list prices)"
    )


def show_plan_cost(cost: Mapping[str, Any] | None) -> None:
    """The plan's monthly cost line: before -> after (difference)."""
    if not cost:
        return
    before, after, currency = float(cost["before"]), float(cost["after"]), str(cost["currency"])
    if not before and not after:
        return  # nothing priced (files, database objects): no line to read past
    delta = after - before
    sign = "+" if delta >= 0 else "-"
    output.out.print(
        f"Monthly cost: {money(before, currency)} -> {money(after, currency)} "
        f"({sign}{money(abs(delta), currency)})"
    )
