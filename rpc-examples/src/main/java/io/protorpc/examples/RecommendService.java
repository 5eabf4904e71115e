package io.protorpc.examples;

import io.protorpc.RpcException;
import io.protorpc.ServerController;
import io.protorpc.StatusCode;
import io.protorpc.examples.recommend.Article;
import io.protorpc.examples.recommend.ArticleInfo;
import io.protorpc.examples.recommend.ArticleResponse;
import io.protorpc.examples.recommend.RecommendRpc;
import io.protorpc.examples.recommend.UserRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The recommendation server's side of {@code Recommend.UserRecommend}: {@code article_num}
 * articles for a user, each with an id and view and share counts, most viewed first. The articles
 * come from a made-up catalog, chosen by a generator seeded with the user and the time stamp, so
 * the same request always gets the same answer.
 *
 * <p>Written against the generated {@link RecommendRpc.BlockingService}: it returns its answer or
 * throws {@link RpcException} to fail the call with a chosen status. Serve it with {@code
 * RpcServer.builder().addService(RecommendRpc.bindService(new RecommendService()))}.
 */
public final class RecommendService implements RecommendRpc.BlockingService {
  /** The most articles one request may ask for; more is answered with INVALID_ARGUMENT. */
  public static final int MAX_ARTICLES = 1000;

  /** Article ids are drawn from 1 to this. */
  private static final long CATALOG_SIZE = 50_000_000L;

  @Override
  public ArticleResponse userRecommend(UserRequest request, ServerController call)
      throws RpcException {
    int count = request.getArticleNum();
    if (count < 0 || count > MAX_ARTICLES) {
      throw new RpcException(StatusCode.INVALID_ARGUMENT, "article_num must be between 0 and "
          + MAX_ARTICLES + ", got " + count);
    }
    SplittableRandom random =
        new SplittableRandom(request.getUserId() * 0x9E37_79B9_7F4A_7C15L ^ request.getTimeStamp());
    Set<Long> chosen = new HashSet<>();
    List<Article> articles = new ArrayList<>(count);
    while (articles.size() < count) {
      long id = 1 + random.nextLong(CATALOG_SIZE);
      if (chosen.add(id)) {
        articles.add(article(id, random));
      }
    }
    articles.sort(Comparator.comparingLong((Article a) -> a.getArticleInfo().getViews()).reversed());
    return ArticleResponse.newBuilder()
        .setExposure(articles.size())
        .setTimeStamp(request.getTimeStamp())
        .addAllArticles(articles)
        .build();
  }

  /** An article with a plausible long-tailed view count, a small share of it shared. */
  private static Article article(long id, SplittableRandom random) {
    long views = (long) Math.exp(random.nextDouble(3, 14)); // about 20 to 1.2 million
    long shares = (long) (views * random.nextDouble(0, 0.05));
    return Article.newBuilder()
        .setArticleId(id)
        .setArticleInfo(ArticleInfo.newBuilder().setViews(views).setShare(shares))
        .build();
  }
}
