"""Front ends over the engine that run many graphs or hand them on: batch sweeps (here or
on Ray), contact sheets and packs. Like ``cli`` and ``ui``, they sit above ``graph`` and
``nodes``; ``graph`` never imports them."""
