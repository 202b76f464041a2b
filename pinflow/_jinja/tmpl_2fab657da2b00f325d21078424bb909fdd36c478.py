from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = '_targets.yml.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_promote = resolve('promote')
    try:
        t_1 = environment.filters['yaml']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'yaml' found.")
    pass
    if environment.getattr((undefined(name='promote') if l_0_promote is missing else l_0_promote), 'matrix'):
        pass
        yield '    strategy:\n      fail-fast: false\n      matrix:\n        include:\n'
        for l_1_t in environment.getattr((undefined(name='promote') if l_0_promote is missing else l_0_promote), 'matrix'):
            l_1_cfg = resolve('cfg')
            _loop_vars = {}
            pass
            yield '          - target: '
            yield str(t_1(environment.getattr(l_1_t, 'name')))
            yield '\n            url: '
            yield str(t_1(environment.getattr(l_1_t, 'url')))
            yield '\n'
            if environment.getattr((undefined(name='cfg') if l_1_cfg is missing else l_1_cfg), 'verify'):
                pass
                yield '            verify_url: '
                yield str(t_1(environment.getattr(l_1_t, 'verify_url')))
                yield '\n'
        l_1_t = l_1_cfg = missing

blocks = {}
debug_info = '3=18&8=21&9=26&10=28&11=30&12=33'
